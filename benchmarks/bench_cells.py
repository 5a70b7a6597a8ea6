"""Benchmark of the other cells: LSTM and GRU against PyTorch, the LRU at 100,000 steps, analyze() for every cell.

Run from the repository root::

    python benchmarks/bench_cells.py            # the table (about 2 minutes on an idle 2-core machine)
    python benchmarks/bench_cells.py --profile  # cProfile hotspots of each workload instead
    python benchmarks/bench_cells.py --no-torch # as if torch were not installed
    python benchmarks/bench_cells.py --quick    # smoke test: few repeats, figures not for reporting
    python benchmarks/bench_cells.py --json out.json  # also write every figure (and the raw samples) to a file
    python benchmarks/bench_cells.py --wait-idle 300  # first wait up to 300 s for a shared machine to go idle

What it measures, with the harness of ``bench_core.py`` (blocks of calls in two rounds of opposite order, interleaved
pairs, medians over the samples during which other processes used less than a quarter of a core; see there):

1. LSTM and GRU, (N, T, B) = (128, 1000, 16), noise input D = 8, ``L = sum_b u·h_T``: rnn_core = ``forward`` +
   ``gradients`` (every ``dL/ds_t`` and the parameter gradients), against, in float64 on the CPU with the same
   weights: (a) the PyTorch per-step loop of ``LSTMCell``/``GRUCell`` with ``retain_grad()`` on every ``h_t`` (and
   ``c_t``): the like-for-like reference, every gradient rnn_core gives; target: rnn_core at least at parity (>= 1x);
   (b) the fused ``torch.nn.LSTM``/``nn.GRU`` (parameter gradients only): no target, for comparison. Before timing,
   the gradients are compared: ``dL/dh_t``, the whole ``dL/dc_t`` (PyTorch's ``c_t.grad``: the engine's c part plus
   the path through ``h_t``) and the parameter gradients, relative errors printed.
2. The LRU, N = 256, T = 100,000, B = 1 (ring initialization, noise input D = 8): ``forward`` + ``backward`` (every
   ``dL/ds_t`` in the log domain), loss 'last' (target < 1 s) and 'all', against the generic engine in the same run
   (``rnn_core.fast`` turned off).
3. ``analyze(Config(cell=c))`` at the dashboard's default (N = 64, T = 100, B = 1) for every cell: target < 30 ms,
   and the generic engine's time in the same run.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import math
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "benchmarks"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import bench_core as hb  # noqa: E402  (the harness)
import numpy as np  # noqa: E402

from rnn_core import Config, analyze, backward, fast, forward, gradients, init_inputs  # noqa: E402
from rnn_core.cells import CELLS, LRU, make_cell  # noqa: E402
from rnn_core.cells import lstm as lstm_cell  # noqa: E402
from rnn_core.initializers import streams  # noqa: E402
from rnn_core.inputs import make_inputs  # noqa: E402

GATED_SIZE = (128, 1000, 16)  # (N, T, B)
GATED_TARGET = 1.0  # rnn_core time <= the per-step loop's
LRU_SIZE = (256, 100_000)  # (N, T), B = 1
LRU_TARGET_S = 1.0
ANALYZE_TARGET_S = 0.030
PARAM_NAMES = (("W_ih", "weight_ih"), ("W_hh", "weight_hh"), ("b_ih", "bias_ih"), ("b_hh", "bias_hh"))


def generic(fn: Callable[[], object]) -> Callable[[], object]:
    """``fn`` on the generic engine alone (``rnn_core.fast`` off during the call)."""
    def run() -> object:
        fast.ENABLED = False
        try:
            return fn()
        finally:
            fast.ENABLED = True
    return run


# ------------------------------------------------------------------------------------------------------ workloads

def gated_workload(name: str):
    N, T, B = GATED_SIZE
    config = Config(cell=name, hidden_size=N, seq_len=T, batch_size=B, input_kind="noise", input_size=8)
    cell = make_cell(config)
    params, x = cell.init_params(config), init_inputs(config)

    def core():
        traj = forward(params, x, cell)
        return traj, *gradients(params, traj, x, loss="last")
    return cell, params, x, core


def torch_gated(torch, name: str, p, x):
    """(a) the per-step ``LSTMCell``/``GRUCell`` loop, ``retain_grad`` on every state; (b) ``nn.LSTM``/``nn.GRU``."""
    f64 = torch.float64
    T, B, D = x.shape
    N = p.hidden_size
    lstm = name == "lstm"
    cell = (torch.nn.LSTMCell if lstm else torch.nn.GRUCell)(D, N, dtype=f64)
    net = (torch.nn.LSTM if lstm else torch.nn.GRU)(D, N, dtype=f64)
    with torch.no_grad():
        for ours, theirs in PARAM_NAMES:
            getattr(cell, theirs).copy_(torch.from_numpy(getattr(p, ours)))
            getattr(net, theirs + "_l0").copy_(torch.from_numpy(getattr(p, ours)))
    xt, u = torch.from_numpy(x), torch.from_numpy(p.u)

    def loop():
        cell.zero_grad(set_to_none=True)
        h = torch.zeros(B, N, dtype=f64, requires_grad=True)  # h_0 (and c_0): leaves, so their gradients are kept
        c = torch.zeros(B, N, dtype=f64, requires_grad=True) if lstm else None
        hs, cs = [h], [c]
        for t in range(T):
            if lstm:
                h, c = cell(xt[t], (h, c))
                c.retain_grad()
            else:
                h = cell(xt[t], h)
            h.retain_grad()
            hs.append(h)
            cs.append(c)
        (h @ u).sum().backward()
        return hs, cs, [getattr(cell, theirs).grad for _, theirs in PARAM_NAMES]

    def fused():
        net.zero_grad(set_to_none=True)
        out, _ = net(xt)
        (out[-1] @ u).sum().backward()
        return [getattr(net, theirs + "_l0").grad for _, theirs in PARAM_NAMES]

    return loop, fused


def gated_agreement(name: str, p, x, core, loop, fused) -> dict[str, float]:
    """Relative 2-norm errors against PyTorch: worst step of dL/dh_t and of the whole dL/dc_t, parameter gradients."""
    traj, grad, pg = core()
    hs, cs, loop_pg = loop()
    N = p.hidden_size
    ours = grad.values()  # (T+1, B, S)
    dh, dc = ours[..., :N], ours[..., N:]
    if name == "lstm":  # PyTorch's c_t.grad also holds the path through h_t = o_t tanh(c_t) (t >= 1)
        o = lstm_cell.gates(p, traj.s[:-1, ..., :N], x)[3]
        dc = dc.copy()
        dc[1:] += dh[1:] * o * (1.0 - np.tanh(traj.s[1:, ..., N:]) ** 2)

    def worst(ours_t, theirs) -> float:
        errs = []
        for t, v in enumerate(theirs):
            ref = np.zeros_like(ours_t[t]) if v.grad is None else v.grad.numpy()
            if np.linalg.norm(ref) > 0:
                errs.append(hb.rel_err(ours_t[t], ref))
        return max(errs)

    out = {"dh": worst(dh, hs), "dc": worst(dc, cs) if name == "lstm" else math.nan,
           "params_loop": max(hb.rel_err(a, b.numpy()) for a, b in zip(pg.values(), loop_pg, strict=True))}
    out["params_fused"] = max(hb.rel_err(a, b.numpy()) for a, b in zip(pg.values(), fused(), strict=True))
    return out


def lru_workload(loss: str):
    N, T = LRU_SIZE
    config = Config(cell="lru", hidden_size=N)  # the ring initialization; T * N is over Config's cap, so the input
    params = LRU().init_params(config)  # is drawn as init_inputs would
    x = make_inputs("noise", T, 1, config.input_dim, 1.0, streams(config.seed)[2])

    def core():
        traj = forward(params, x, LRU())
        return backward(params, traj, loss)
    return core


# ------------------------------------------------------------------------------------------------------- sections

def bench_gated(torch, quick: bool, log) -> list[dict]:
    results = []
    for name in ("lstm", "gru"):
        _, params, x, core = gated_workload(name)
        contenders: dict[str, Callable[[], object]] = {"rnn_core": core}
        agree = {}
        if torch is not None:
            loop, fused = torch_gated(torch, name, params, x)
            agree = gated_agreement(name, params, x, core, loop, fused)
            contenders.update(torch_loop=loop, torch_fused=fused)
        log(f"  {name}: {len(contenders)} contenders ...")
        meter = hb.LoadMeter()
        samples, canaries = hb.time_blocks(contenders, 3 if quick else 7, 1)
        paired = {k: hb.time_pairs(core, fn, 3 if quick else 9) for k, fn in contenders.items() if k != "rnn_core"}
        results.append({"cell": name, "samples": samples, "median": {k: hb.med(v) for k, v in samples.items()},
                        "paired": paired, "canary": canaries, "agreement": agree, "others": meter.stop()})
    return results


def bench_lru(quick: bool, log) -> list[dict]:
    results = []
    for loss in ("last", "all"):
        core = lru_workload(loss)
        log(f"  LRU {LRU_SIZE}, loss {loss!r} ...")
        meter = hb.LoadMeter()
        samples, _ = hb.time_blocks({"rnn_core": core, "generic": generic(core)}, 2 if quick else 4, 1)
        results.append({"loss": loss, "samples": samples, "median": {k: hb.med(v) for k, v in samples.items()},
                        "others": meter.stop()})
    return results


def bench_analyze(quick: bool) -> list[dict]:
    results = []
    for name in CELLS:
        cfg = Config(cell=name)
        meter = hb.LoadMeter()
        samples, canaries = hb.time_blocks({"rnn_core": lambda cfg=cfg: analyze(cfg),
                                            "generic": generic(lambda cfg=cfg: analyze(cfg))}, 6 if quick else 30, 3)
        results.append({"cell": name, "samples": samples, "median": {k: hb.med(v) for k, v in samples.items()},
                        "canary": canaries["rnn_core"], "others": meter.stop()})
    return results


# ------------------------------------------------------------------------------------------------------- printing

def print_report(res: dict, torch, torch_note: str, out=print) -> tuple[int, int]:
    passes = misses = 0

    def judge(ok: bool) -> str:
        nonlocal passes, misses
        passes += ok
        misses += not ok
        return hb.verdict(ok)

    W = 120
    out("=" * W)
    quick = "   [QUICK MODE: too few repeats, not for reporting]" if res["quick"] else ""
    out("rnn_core benchmark of the cells" + quick)
    out("=" * W)
    for line in hb.env_lines(torch, torch_note):
        out(line)
    if res["others_during"] is not None:
        state = "idle" if res["others_during"] < hb.IDLE_CORES else "NOT IDLE: other processes competed"
        out(f"load    : other processes used {res['others_before']:.2f} of {hb.N_CORES} cores before the run and "
            f"{res['others_during']:.2f} on average during it ({state}); waited {res['waited']:.0f} s for idle")
    out("Times are medians over the clean samples (other processes used < 1/4 core during the call); 'clean' = "
        "clean/taken, '!' = too few clean.")

    out("")
    out(f"1. LSTM and GRU, (N, T, B) = {GATED_SIZE}, noise D=8, L = sum_b u.h_T: forward + gradients (every dL/ds_t, "
        "parameter gradients)")
    out("   (a) torch per-step LSTMCell/GRUCell loop, retain_grad on every h_t (and c_t): LIKE-FOR-LIKE, target "
        f"rnn_core >= {GATED_TARGET:g}x (parity)")
    out("   (b) torch.nn.LSTM / nn.GRU fused, parameter gradients only: for comparison, no target")
    hdr = (f"   {'cell':<6}{'rnn_core ms':>12}{'clean':>7} |{'(a) loop ms':>12}{'clean':>7}{'speedup':>9}"
           f"{'pairs':>8}{'target':>8}{'':>6}|{'(b) fused ms':>13}{'clean':>7}{'speedup':>9}{'pairs':>8}")
    out(hdr)
    out("   " + "-" * (len(hdr) - 3))
    for r in res["gated"]:
        m, smp = r["median"], r["samples"]
        row = f"   {r['cell']:<6}{hb.ms(m['rnn_core']):>12}{hb.clean_tag(smp['rnn_core']):>7} |"
        if torch is None:
            row += f"{'skipped':>12}"
        else:
            pairs_a = statistics.median(r["paired"]["torch_loop"])
            pairs_b = statistics.median(r["paired"]["torch_fused"])
            speed_a, speed_b = m["torch_loop"] / m["rnn_core"], m["torch_fused"] / m["rnn_core"]
            row += (f"{hb.ms(m['torch_loop']):>12}{hb.clean_tag(smp['torch_loop']):>7}{speed_a:>8.2f}x"
                    f"{pairs_a:>7.2f}x{'>=' + format(GATED_TARGET, 'g') + 'x':>8}"
                    f"{judge(min(speed_a, pairs_a) >= GATED_TARGET):>6}|"
                    f"{hb.ms(m['torch_fused']):>13}{hb.clean_tag(smp['torch_fused']):>7}{speed_b:>8.2f}x"
                    f"{pairs_b:>7.2f}x")
        out(row)
    out("   'speedup' = torch time / rnn_core time from the blocks; 'pairs' = median ratio of interleaved pairs; PASS "
        "needs both")
    out("   other processes during the timing (cores): " + ",  ".join(
        f"{r['cell']}: {hb.cores(r['others'])}" for r in res["gated"]))
    if torch is not None:
        out("   agreement with torch before timing (relative 2-norm error, float64, worst step):")
        for r in res["gated"]:
            a = r["agreement"]
            dc = f"whole dL/dc_t {a['dc']:.1e};  " if r["cell"] == "lstm" else ""
            out(f"     {r['cell']:<6} dL/dh_t {a['dh']:.1e};  {dc}parameter gradients vs (a) {a['params_loop']:.1e}, "
                f"vs (b) {a['params_fused']:.1e}")
    else:
        out("   torch not available: reference columns skipped, no PASS/MISS for them.")

    out("")
    N, T = LRU_SIZE
    out(f"2. LRU, N = {N}, T = {T:,}, B = 1 (ring init, noise D=8): forward + backward (every dL/ds_t, log domain)")
    hdr = f"   {'loss':<6}{'rnn_core ms':>12}{'clean':>7}{'generic ms':>12}{'clean':>7}{'ratio':>8}{'target':>10}"
    out(hdr)
    out("   " + "-" * (len(hdr) + 3))
    for r in res["lru"]:
        m, smp = r["median"], r["samples"]
        ok = judge(m["rnn_core"] < LRU_TARGET_S) if r["loss"] == "last" else ""
        tgt = f"< {LRU_TARGET_S:g} s" if r["loss"] == "last" else "-"
        out(f"   {r['loss']:<6}{hb.ms(m['rnn_core']):>12}{hb.clean_tag(smp['rnn_core']):>7}{hb.ms(m['generic']):>12}"
            f"{hb.clean_tag(smp['generic']):>7}{m['generic'] / m['rnn_core']:>7.1f}x{tgt:>10}{ok:>6}")
    out("   other processes during the timing (cores): " + ",  ".join(
        f"{r['loss']}: {hb.cores(r['others'])}" for r in res["lru"]))

    out("")
    out("3. analyze(Config(cell=c)) at the default (N=64, T=100, B=1; Jacobian-product norms, top-8 Lyapunov "
        "exponents)")
    hdr = f"   {'cell':<7}{'rnn_core ms':>12}{'clean':>7}{'spread':>8}{'generic ms':>12}{'clean':>7}{'target':>10}"
    out(hdr)
    out("   " + "-" * (len(hdr) + 3))
    for r in res["analyze"]:
        m, smp = r["median"], r["samples"]
        out(f"   {r['cell']:<7}{hb.ms(m['rnn_core']):>12}{hb.clean_tag(smp['rnn_core']):>7}"
            f"{hb.spread(smp['rnn_core']):>8}{hb.ms(m['generic']):>12}{hb.clean_tag(smp['generic']):>7}"
            f"{'< ' + format(1e3 * ANALYZE_TARGET_S, 'g') + ' ms':>10}{judge(m['rnn_core'] < ANALYZE_TARGET_S):>6}")
    out("   other processes during the timing (cores): " + ",  ".join(
        f"{r['cell']}: {hb.cores(r['others'])}" for r in res["analyze"]))
    # the host's speed before each block of rnn_core's calls (bench_core.canary: a fixed NumPy job; on a shared
    # virtual machine it drifts by 20 % and more over minutes, and an absolute target moves with it)
    out("   canary before rnn_core's blocks (ms): " + ",  ".join(
        f"{r['cell']}: " + "/".join(f"{1e3 * c:.2f}" for c in r.get("canary", [])) for r in res["analyze"]))

    out("")
    out("=" * W)
    skipped = "" if torch is not None else "  (torch comparisons skipped: torch not available)"
    out(f"summary: {passes} PASS, {misses} MISS{skipped};  wall time of the run {res['wall']:.0f} s")
    out("=" * W)
    return passes, misses


# ------------------------------------------------------------------------------------------------------ profiling

def profile(top: int = 14) -> None:
    """cProfile of each workload, by own time."""
    cases = [(f"{name} forward + gradients at {GATED_SIZE}", gated_workload(name)[3]) for name in ("lstm", "gru")]
    cases.append((f"LRU {LRU_SIZE} forward + backward('last')", lru_workload("last")))
    for name in CELLS:
        cfg = Config(cell=name)
        cases.append((f"analyze(Config(cell={name!r})) x 20", lambda cfg=cfg: [analyze(cfg) for _ in range(20)]))
    for title, fn in cases:
        fn()
        hb.wait_idle()
        prof = cProfile.Profile()
        t0 = time.perf_counter()
        prof.enable()
        fn()
        prof.disable()
        print("=" * 120)
        print(f"cProfile: {title}  (wall {time.perf_counter() - t0:.2f} s under the profiler)")
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(top)
        text = buf.getvalue()
        print("\n".join(line.replace(str(ROOT) + "/", "") for line in text[text.find("   ncalls"):].splitlines()))


# ----------------------------------------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--no-torch", action="store_true", help="skip the torch references, as if torch were missing")
    ap.add_argument("--quick", action="store_true", help="few repeats: a smoke test, not figures to report")
    ap.add_argument("--profile", action="store_true", help="print cProfile hotspots instead of the table")
    ap.add_argument("--json", metavar="PATH", help="also write the figures and raw samples as JSON")
    ap.add_argument("--wait-idle", type=float, default=0.0, metavar="S",
                    help="first wait up to S seconds for other processes to leave the machine idle (default 0)")
    args = ap.parse_args(argv)
    if args.profile:
        profile()
        return 0
    torch, torch_note = hb.load_torch(args.no_torch)

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    if args.wait_idle > 0:
        log(f"waiting up to {args.wait_idle:g} s for the machine to go idle ...")
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < args.wait_idle:
            busy = hb.others_busy(0.5)
            if busy is None or busy < hb.IDLE_CORES:
                break
        log(f"  waited {time.perf_counter() - t0:.0f} s")
    hb.RUN_DEADLINE_S = 600.0  # this run is longer than bench_core's; blocks are cut short only past this
    start = hb._run["start"] = time.perf_counter()
    res: dict = {"quick": args.quick}
    log("measuring the load of other processes ...")
    res["others_before"] = hb.others_busy(1.0)
    b0, o0 = hb._system_busy_ticks(), hb._own_ticks()
    log("LSTM and GRU against torch ...")
    res["gated"] = bench_gated(torch, args.quick, log)
    log("LRU ...")
    res["lru"] = bench_lru(args.quick, log)
    log("analyze() for every cell ...")
    res["analyze"] = bench_analyze(args.quick)
    b1, o1 = hb._system_busy_ticks(), hb._own_ticks()
    res["wall"] = time.perf_counter() - start
    res["others_during"] = (None if b0 is None or b1 is None or res["others_before"] is None
                            else max(0.0, (b1 - b0) - (o1 - o0)) / hb.CLK_TCK / res["wall"])
    res["waited"] = hb._waited[0]
    print_report(res, torch, torch_note)
    if args.json:
        def plain(obj):
            if isinstance(obj, hb.Sample):
                return {"seconds": float(obj), "other_processes_ticks": obj.others, "clean": obj.clean}
            if isinstance(obj, dict):
                return {str(k): plain(v) for k, v in obj.items()}
            if isinstance(obj, (list, tuple)):
                return [plain(v) for v in obj]
            return obj
        Path(args.json).write_text(json.dumps(plain(res), indent=1, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
