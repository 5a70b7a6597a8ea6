"""What one large uploaded model costs the server: peak memory and time until its verdict shows.

Run from the repository root (needs Debian's chromium and playwright, like the browser tests)::

    python benchmarks/bench_upload.py                 # LSTM, GRU and RNN of 1024 units with 300 inputs, float32
    python benchmarks/bench_upload.py --cells lstm --steps 1000

For each model: a fresh server (`streamlit run dashboard.py`), one browser page on "Your model", the state dict
written with safetensors (float32, as a trained model is saved: an LSTM of that size is 22 MB), uploaded through the
page's file input, then T set in the page's form. Printed: the server's resident memory before the upload, its peak
(VmHWM of /proc/<pid>/status: the kernel's own high-water mark, nothing missed between samples), the peak above the
baseline, and the seconds from the upload to the verdict. Reference: the 1 GB of a Streamlit Community Cloud app.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
GATES = {"rnn": 1, "gru": 3, "lstm": 4}


def state_dict_bytes(cell: str, N: int, D: int) -> bytes:
    from safetensors.numpy import save
    rng = np.random.default_rng(0)
    k = GATES[cell]
    s = 1 / np.sqrt(N)
    return save({"weight_ih_l0": rng.uniform(-s, s, (k * N, D)).astype(np.float32),
                 "weight_hh_l0": rng.uniform(-s, s, (k * N, N)).astype(np.float32),
                 "bias_ih_l0": rng.uniform(-s, s, k * N).astype(np.float32),
                 "bias_hh_l0": rng.uniform(-s, s, k * N).astype(np.float32)})


def memory_kb(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0])
    return fields


def start_server() -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.headless", "true",
                             "--server.port", str(port), "--server.address", "127.0.0.1"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=2)
            return proc, url
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("the server did not start")


def measure(browser, cell: str, N: int, D: int, T: int) -> dict:
    data = state_dict_bytes(cell, N, D)
    proc, url = start_server()
    try:
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.goto(url + "/your_model")
        page.get_by_text("Upload a file to begin").wait_for(timeout=120_000)
        base = memory_kb(proc.pid)["VmRSS"]
        start = time.perf_counter()
        page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(
            files=[{"name": f"{cell}.safetensors", "mimeType": "application/octet-stream", "buffer": data}])
        summary = page.get_by_text(f"N = {N}, {D} inputs, T = 100")
        summary.wait_for(timeout=600_000)
        first = time.perf_counter() - start
        field = page.get_by_role("spinbutton", name="Sequence length T")
        field.fill(str(T))
        start = time.perf_counter()
        page.get_by_role("button", name="Analyze").click()
        page.get_by_text(f"N = {N}, {D} inputs, T = {T}").wait_for(timeout=600_000)
        second = time.perf_counter() - start
        mem = memory_kb(proc.pid)
        page.close()
        return {"cell": cell, "MB": len(data) / 1e6, "base": base / 1024, "peak": mem["VmHWM"] / 1024,
                "t100": first, "tT": second}
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cells", nargs="+", default=["lstm", "gru", "rnn"], choices=list(GATES))
    ap.add_argument("--hidden", type=int, default=1024)
    ap.add_argument("--inputs", type=int, default=300)
    ap.add_argument("--steps", type=int, default=1000, help="T of the second analysis (the page's cap: 1000)")
    args = ap.parse_args(argv)
    from playwright import sync_api
    rows = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        for cell in args.cells:
            print(f"{cell} ...", file=sys.stderr, flush=True)
            rows.append(measure(browser, cell, args.hidden, args.inputs, args.steps))
        browser.close()
    print(f"One uploaded model of N = {args.hidden}, D = {args.inputs} (float32 file), on a fresh server")
    print(f"{'cell':<6}{'file MB':>9}{'RSS before':>12}{'peak RSS':>10}{'peak - before':>15}"
          f"{'T=100 s':>9}{f'T={args.steps} s':>10}")
    for r in rows:
        print(f"{r['cell']:<6}{r['MB']:>9.1f}{r['base']:>10.0f}MB{r['peak']:>8.0f}MB{r['peak'] - r['base']:>13.0f}MB"
              f"{r['t100']:>9.1f}{r['tT']:>10.1f}")
    print("peak RSS: the server's VmHWM after both analyses (T = 100, then T = the second); 1 GB is a Community "
          "Cloud app's memory")
    return 0


if __name__ == "__main__":
    sys.exit(main())
