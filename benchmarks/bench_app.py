"""Server-side time of one rerun of the Explorer after a slider change (Streamlit's AppTest), cold and cached.

    python benchmarks/bench_app.py [--repeats 7]

Cold: the new setting is not in the cache (a fresh seed each time), so the rerun includes the analysis. Cached: the
setting was seen before. The reference measured in the same run is the bare core call (`build_view`) for the same
configuration, so the page's own overhead is the difference. Targets (issue 3): default configuration under 300 ms
cold and under 100 ms cached.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_core import canary  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

os.environ["RNN_LAB_WARM"] = "0"  # no background warm-up of the presets beside the timed reruns

from rnn_core import Config  # noqa: E402
from ui.view import build_view  # noqa: E402

CASES = {"default (N=64, T=100)": {}, "N=256, T=2000": {"hidden_size": "256", "seq_len": "2000"}}
TARGETS = {"default (N=64, T=100)": (0.300, 0.100)}


def rerun_time(at: AppTest, seed: int) -> float:
    widget = at.number_input(key="w_seed")
    start = time.perf_counter()
    widget.set_value(seed).run()
    elapsed = time.perf_counter() - start
    assert not at.exception, at.exception
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    speed = [min(canary() for _ in range(3))]
    print(f"{'case':24} {'cold rerun':>12} {'cached rerun':>13} {'core alone':>11}  targets")
    for name, params in CASES.items():
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=600)
        for k, v in params.items():
            at.query_params[k] = v
        at.run()
        cold = [rerun_time(at, 1000 + i) for i in range(args.repeats)]  # never seen: computed
        cached = [rerun_time(at, 1000 + i) for i in range(args.repeats)]  # seen above: from the cache
        cfg = Config.from_dict({**Config().to_dict(), **params})
        core = []
        for i in range(args.repeats):
            start = time.perf_counter()
            build_view(cfg.replace(seed=2000 + i))
            core.append(time.perf_counter() - start)
        c, k, r = (statistics.median(v) for v in (cold, cached, core))
        target = ""
        if name in TARGETS:
            tc, tk = TARGETS[name]
            target = (f"cold < {tc * 1000:.0f} ms {'PASS' if c < tc else 'MISS'}, "
                      f"cached < {tk * 1000:.0f} ms {'PASS' if k < tk else 'MISS'}")
        print(f"{name:24} {c * 1000:9.0f} ms {k * 1000:10.0f} ms {r * 1000:8.0f} ms  {target}")
    speed.append(min(canary() for _ in range(3)))
    print(f"machine speed: bench_core's canary took {1e3 * speed[0]:.1f} ms before and {1e3 * speed[1]:.1f} ms after "
          "(~8 ms when the shared host is fast; near twice that, every time here is too)")


if __name__ == "__main__":
    main()
