"""Benchmark of rnn_core: the analysis engine against PyTorch autograd, the sweeps, and the interactive default.

Run from the repository root::

    python benchmarks/bench_core.py            # the table (about 1.5 minutes on an idle 2-core machine)
    python benchmarks/bench_core.py --profile  # cProfile hotspots of analyze(Config()) and of (128, 1000, 16)
    python benchmarks/bench_core.py --no-torch # as if torch were not installed
    python benchmarks/bench_core.py --generic  # the generic engine alone: rnn_core.fast turned off
    python benchmarks/bench_core.py --quick    # smoke test: few repeats, figures not for reporting
    python benchmarks/bench_core.py --json out.json  # also write every figure (and the raw samples) to a file
    python benchmarks/bench_core.py --wait-idle 300  # first wait up to 300 s for a shared machine to go idle

What it measures (medians over repeats, ``time.perf_counter``, warm-up runs first, GC off during a block of calls):

1. "forward + log-domain BPTT gradients" for (N, T, B) = (64, 100, 1), (128, 1000, 16), (256, 500, 64), tanh,
   normal init gain 1, noise input D = 8, ``L = sum_b u·h_T``:
   rnn_core = ``forward() + gradients(loss='last')`` (dL/dh_t for every t, dL/dW_hh, dL/dW_xh, dL/db: the same numbers
   as ``backward()`` and ``param_grads()``, in one pass),
   against PyTorch autograd on the CPU in float64, in the same run:
   (a) a per-step Python loop with ``h.retain_grad()`` on every h_t (every dL/dh_t available: the like-for-like
       reference; the input drive ``x W_xh^T + b`` is computed for all steps at once, as rnn_core does, and split
       with ``unbind`` so that its backward stays O(T B N)), and
   (b) ``torch.nn.RNN`` fused forward + backward, parameter gradients only (a harder reference: it does not give
       dL/dh_t). Targets: rnn_core >= 3x faster at (64, 100, 1), >= 1.5x at the two large workloads. The target is
       judged against both references and printed for each, (a) being the like-for-like one.
   Before timing, the gradients of the three are compared (relative error printed), so the comparison is checked to
   be of the same computation. After the blocks, the speedups are measured again from interleaved pairs (rnn_core and
   one reference, order alternating; each member the median of a burst of calls lasting >= 20 ms or of 25 calls, a
   single call at the large workloads): the host's speed drifts, and two calls in a row see nearly the same machine
   where two blocks may not. Both are printed and judged.
2. ``sweep(Config(hidden_size=128, seq_len=200, batch_size=8), 40 gains geomspace(0.1, 10))`` (tanh): target < 1 s.
3. ``analyze(Config())`` (N = 64, T = 100, Jacobian-product norms, top-8 Lyapunov exponents): target < 20 ms, with a
   breakdown into its parts.
4. Achieved GFLOP/s of each workload of 1 (matmul flops only: forward ``2·B·N·(N+D)`` per step, backward ``2·B·N²``
   per step for dL/dh, parameter gradients ``2·B·N·(N+D)`` per step) as a fraction of the machine's float64 matmul
   peak, the median GFLOP/s of a 2048 x 2048 ``np.matmul`` measured in the same run. Informational: no target.
5. The default regime map: ``sweep(Config(hidden_size=128, seq_len=200, batch_size=1), 40 gains, seeds=(0, 1, 2),
   activations=('tanh', 'sigmoid', 'relu', 'linear'))``: target < 2 s.

Noise. Each contender of a workload is timed in a block (warm-up calls, then its repeats), in two rounds in opposite
orders whose samples are pooled, with a pause between blocks: the worker threads of OpenBLAS (NumPy) and of OpenMP
(torch) busy-wait for a while after each call, and the warm-up of a block absorbs the hand-over from the other
library. The machine may be shared (another session's test run): threaded BLAS and OpenMP code slows down far more
than the CPU share others take, by 2-10x on 2 cores. So every sample records, from /proc/stat, how much CPU other
processes used during it; a sample is *clean* when that is under a quarter of a core (plus one clock tick). Before each
block the script waits (at most 10 s, 45 s in all) for the machine to go idle, a contended sample is replaced by a
further call while the block's time budget allows, and medians are taken over the clean samples ('clean' column:
clean/taken; '!' when too few were clean and the median is over all). The header says how busy the machine was.

Environment: torch gets ``torch.set_num_threads(<number of cores>)``; NumPy's BLAS threads are left at their default.
``OPENBLAS_CORETYPE`` (and other BLAS variables) are printed as found and never changed. Without torch (or with
``--no-torch``) the torch columns are skipped and the script says so.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import math
import os
import platform
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

import rnn_core  # noqa: E402
from rnn_core import (  # noqa: E402
    Config,
    analyze,
    backward,
    forward,
    gradients,
    init_inputs,
    init_params,
    jacobian_products,
    lyapunov_spectrum,
    spectrum,
    step_contributions,
)
from rnn_core.sweep import sweep  # noqa: E402

WORKLOADS = ((64, 100, 1), (128, 1000, 16), (256, 500, 64))  # (N, T, B)
SPEEDUP_TARGET = {(64, 100, 1): 3.0, (128, 1000, 16): 1.5, (256, 500, 64): 1.5}
# repeats (pooled over the two rounds) and warm-up calls per block, per workload
REPEATS = {(64, 100, 1): 21, (128, 1000, 16): 7, (256, 500, 64): 5}
WARMUP = {(64, 100, 1): 3, (128, 1000, 16): 1, (256, 500, 64): 1}
SWEEP_TARGET_S = 1.0
ANALYZE_TARGET_S = 0.020
MAP_TARGET_S = 2.0
GAINS = np.geomspace(0.1, 10.0, 40)
PEAK_SIZE = 2048
PAUSE_S = 0.3  # between blocks: lets the other library's spinning worker threads go to sleep
N_CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


# ----------------------------------------------------------------------------------------------------------- timing

CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
CLEAN_SHARE = 0.25  # a sample is clean when other processes used at most this many cores' worth during it (+1 tick)
IDLE_CORES = 0.2  # the machine counts as idle below this many cores busy with other processes
MAX_IDLE_WAIT_S = 10.0  # at most this long waiting for the machine to go idle before one block
TOTAL_IDLE_WAIT_S = 45.0  # and at most this long in all, so that a busy machine does not stretch the run for ever
RUN_DEADLINE_S = 150.0  # past this, every block takes one warm-up and as few samples as it can (a busy machine)
_waited = [0.0]
_run = {"start": time.perf_counter(), "cut": 0}


def past_deadline() -> bool:
    return time.perf_counter() - _run["start"] > RUN_DEADLINE_S
BLOCK_BUDGET_S = 25.0  # a block stops taking extra samples (to replace contended ones) past this


def _system_busy_ticks() -> int | None:
    """Busy clock ticks of the whole machine (all but idle and iowait; steal counts as busy), or None."""
    try:
        with open("/proc/stat") as f:
            vals = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    return sum(vals) - vals[3] - (vals[4] if len(vals) > 4 else 0)


def _own_ticks() -> float:
    t = os.times()
    return (t.user + t.system) * CLK_TCK  # every thread of this process, BLAS and OpenMP workers included


class Sample(float):
    """A wall time in seconds that also knows how many clock ticks other processes ran during it."""

    others: float

    def __new__(cls, seconds: float, others: float) -> Sample:
        obj = super().__new__(cls, seconds)
        obj.others = others
        return obj

    @property
    def clean(self) -> bool:
        return self.others <= 1 + CLEAN_SHARE * float(self) * CLK_TCK


def others_busy(seconds: float = 0.5) -> float | None:
    """Cores' worth of CPU used by other processes over ``seconds`` while this process sleeps."""
    b0 = _system_busy_ticks()
    o0 = _own_ticks()
    time.sleep(seconds)
    b1 = _system_busy_ticks()
    if b0 is None or b1 is None:
        return None
    return max(0.0, (b1 - b0) - (_own_ticks() - o0)) / CLK_TCK / seconds


def wait_idle(max_wait: float = MAX_IDLE_WAIT_S) -> float:
    """Wait (at most ``max_wait`` s) until other processes leave the machine idle; return the seconds waited.

    All waits of a run together stop at ``TOTAL_IDLE_WAIT_S``.
    """
    t0 = time.perf_counter()
    max_wait = min(max_wait, TOTAL_IDLE_WAIT_S - _waited[0])
    while time.perf_counter() - t0 < max_wait:
        busy = others_busy(0.25)
        if busy is None or busy < IDLE_CORES:
            break
    waited = time.perf_counter() - t0
    _waited[0] += waited
    return waited


class LoadMeter:
    """Cores' worth of CPU that other processes used between ``start()`` and ``stop()``."""

    def __init__(self) -> None:
        self.start()

    def start(self) -> LoadMeter:
        self._b, self._o, self._t = _system_busy_ticks(), _own_ticks(), time.perf_counter()
        return self

    def stop(self) -> float | None:
        b = _system_busy_ticks()
        if b is None or self._b is None:
            return None
        wall = max(time.perf_counter() - self._t, 1e-9)
        return max(0.0, (b - self._b) - (_own_ticks() - self._o)) / CLK_TCK / wall


def time_calls(fn: Callable[[], object], repeats: int, warmup: int, budget: float = BLOCK_BUDGET_S,
               collect: bool = True) -> list[Sample]:
    """Wall times of ``fn()`` after ``warmup`` untimed calls; GC collected before the block and off during it.

    Every sample records the CPU other processes used during it. Until ``repeats`` samples are clean, a contended
    sample is replaced by a further call (after waiting for the machine to go idle), as long as the block has run
    for less than ``budget`` seconds and has taken fewer than ``2 * repeats`` samples; past the budget the block
    stops as soon as it has 3 samples, and past twice the budget at once (so that a busy machine does not stretch the
    run for ever); every block that starts after ``RUN_DEADLINE_S`` into the run stops at 3 samples and has at most
    one warm-up call.
    """
    start = time.perf_counter()
    late = past_deadline()
    if late and (warmup > 1 or repeats > 3):
        _run["cut"] += 1
    for _ in range(min(warmup, 1) if late else warmup):
        fn()
    samples: list[Sample] = []
    # GC collected once, then off for the whole block (as timeit does): a full collection before every call walks
    # the whole heap and leaves the caches cold, which made 1-ms calls take 2.1-2.7x as long (1.27 -> 2.65 ms at
    # (64, 100, 1), same process) and penalized the contender made of more, smaller calls.
    if collect:
        gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        while True:
            b0, o0 = _system_busy_ticks(), _own_ticks()
            t0 = time.perf_counter()
            fn()
            t1 = time.perf_counter()
            b1, o1 = _system_busy_ticks(), _own_ticks()
            others = 0.0 if b0 is None or b1 is None else max(0.0, (b1 - b0) - (o1 - o0))
            samples.append(Sample(t1 - t0, others))
            n_clean = sum(s.clean for s in samples)
            if n_clean >= repeats or len(samples) >= 2 * repeats:
                break
            elapsed = time.perf_counter() - start
            if (len(samples) >= min(3, repeats) and elapsed > budget) or elapsed > 2 * budget > 0:
                break
            if late and len(samples) >= min(3, repeats):
                break
            if not samples[-1].clean:
                wait_idle(2.0)
    finally:
        if was_enabled:
            gc.enable()
    return samples


_canary_in = np.linspace(-2.0, 2.0, 2048).reshape(32, 64)
_canary_w = np.eye(64) * 0.5


def canary() -> float:
    """Seconds of a fixed single-threaded NumPy job (200 x a tanh of 2,048 values and a 32 x 64 x 64 product).

    The machine's speed at this moment: on a shared virtual machine the host's other guests can halve the speed of
    both cores for minutes without anything showing in this machine's /proc/stat. Timed before every block, it shows
    whether two contenders saw the same machine.
    """
    out, prod = np.empty_like(_canary_in), np.empty_like(_canary_in)
    start = time.perf_counter()
    for _ in range(200):
        np.tanh(_canary_in, out=out)
        np.dot(out, _canary_w, out=prod)
    return time.perf_counter() - start


def time_blocks(contenders: dict[str, Callable[[], object]], repeats: int, warmup: int,
                rounds: int = 2) -> tuple[dict[str, list[Sample]], dict[str, list[float]]]:
    """Time every contender in blocks, ``rounds`` rounds in alternating order; return the pooled samples and the
    :func:`canary` time before each block."""
    samples: dict[str, list[Sample]] = {name: [] for name in contenders}
    canaries: dict[str, list[float]] = {name: [] for name in contenders}
    names = list(contenders)
    per_round = [repeats // rounds + (1 if r < repeats % rounds else 0) for r in range(rounds)]
    for r in range(rounds):
        order = names if r % 2 == 0 else names[::-1]
        for name in order:
            time.sleep(PAUSE_S)
            wait_idle()
            canaries[name].append(min(canary() for _ in range(3)))
            samples[name] += time_calls(contenders[name], per_round[r], warmup)
    return samples, canaries


PAIRS = {(64, 100, 1): 21, (128, 1000, 16): 11, (256, 500, 64): 9}
PAIR_PAUSE_S = 0.1
BURST_S = 0.02  # a pair's member is a burst of calls lasting at least this long (median over the burst) ...
MAX_BURST = 25  # ... or of this many calls: ~7 ms of rnn_core at (64, 100, 1)


def time_pairs(core: Callable[[], object], ref: Callable[[], object], pairs: int,
               burst: int = 1) -> list[float]:
    """``ref`` time / ``core`` time for each of ``pairs`` interleaved pairs (order alternating, a short pause before
    each member). The host's speed drifts over seconds to minutes (see the canary), so contenders timed in separate
    blocks can see different machines; the two members of a pair see nearly the same one. A member is the median of
    ``burst`` calls in a row: the first call after a pause pays for waking the core and refilling its caches, which
    at (64, 100, 1) (0.3 ms) is a good part of a single call and not what is being compared."""
    core(), ref()
    ratios = []
    gc.collect()
    gc.disable()
    try:
        for i in range(pairs):
            times = {}
            for name, fn in ((("core", core), ("ref", ref)) if i % 2 == 0 else (("ref", ref), ("core", core))):
                time.sleep(PAIR_PAUSE_S)
                calls = []
                for _ in range(burst):
                    start = time.perf_counter()
                    fn()
                    calls.append(time.perf_counter() - start)
                times[name] = statistics.median(calls)
            ratios.append(times["ref"] / times["core"])
    finally:
        gc.enable()
    return ratios


def clean_of(samples: list[Sample]) -> list[Sample]:
    """The clean samples if there are at least 3 (or all when fewer were taken), else all of them."""
    clean = [s for s in samples if s.clean]
    return clean if len(clean) >= min(3, len(samples)) else samples


def med(samples: list[Sample]) -> float:
    """Median of the clean samples (of all of them when fewer than 3 are clean)."""
    return statistics.median(clean_of(samples))


def spread(samples: list[Sample]) -> str:
    """Half the interquartile range over the median, of the samples :func:`med` uses, as a percentage."""
    used = clean_of(samples)
    if len(used) < 4:
        return "   - "
    q1, _, q3 = statistics.quantiles(used, n=4)
    return f"{50 * (q3 - q1) / statistics.median(used):4.1f}%"


def clean_tag(samples: list[Sample]) -> str:
    """``clean/taken``, with a ``!`` when too few were clean and the median is over contended samples too."""
    n_clean = sum(s.clean for s in samples)
    return f"{n_clean}/{len(samples)}" + ("!" if clean_of(samples) is samples and n_clean < len(samples) else "")


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def cores(value: float | None) -> str:
    return "?" if value is None else f"{value:.2f}"


def ms(seconds: float) -> str:
    return f"{1e3 * seconds:9.2f}"


# ------------------------------------------------------------------------------------------------------ workloads

def make_workload(N: int, T: int, B: int):
    config = Config(hidden_size=N, seq_len=T, batch_size=B, activation="tanh", init="normal", gain=1.0,
                    input_kind="noise", input_size=8)
    return config, init_params(config), init_inputs(config)


def core_fn(params, x) -> Callable[[], tuple]:
    def run():
        traj = forward(params, x, "tanh")
        return gradients(params, traj, x, loss="last")  # = backward() and param_grads() of it, in one pass
    return run


def flops(N: int, T: int, B: int, D: int) -> float:
    """Matmul flops of forward + backward + parameter gradients."""
    fwd = T * 2 * B * N * (N + D)
    bwd = T * 2 * B * N * N
    pgrad = T * 2 * B * N * N + T * 2 * B * N * D  # dL/dW_hh and dL/dW_xh einsums
    return float(fwd + bwd + pgrad)


def torch_fns(torch, params, x):
    """(a) the per-step autograd loop with retain_grad, (b) torch.nn.RNN; both float64 on the CPU."""
    f64 = torch.float64
    N, D = params.W_xh.shape
    B = x.shape[1]
    W_hh = torch.tensor(params.W_hh, dtype=f64, requires_grad=True)
    W_xh = torch.tensor(params.W_xh, dtype=f64, requires_grad=True)
    b = torch.tensor(params.b, dtype=f64, requires_grad=True)
    xt = torch.tensor(x, dtype=f64)
    u = torch.tensor(params.u, dtype=f64)

    def loop():
        for p in (W_hh, W_xh, b):
            p.grad = None
        h = torch.zeros(B, N, dtype=f64, requires_grad=True)  # h_0: its gradient is dL/dh_0
        hs = [h]
        # The input drive x_t W_xh^T + b of every step at once, out of the sequential loop as in rnn_core. unbind(), not
        # drive[t]: the backward of each drive[t] would write a zero-filled (T, B, N) gradient, O(T^2 B N) in all,
        # which made this reference 10-40x slower at the large workloads.
        drives = (torch.matmul(xt, W_xh.T) + b).unbind(0)
        W_t = W_hh.T
        for drive in drives:
            h = torch.tanh(torch.addmm(drive, h, W_t))
            h.retain_grad()
            hs.append(h)
        torch.matmul(h, u).sum().backward()
        return hs, (W_hh.grad, W_xh.grad, b.grad)

    rnn = torch.nn.RNN(D, N, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False, dtype=f64)
    with torch.no_grad():
        rnn.weight_hh_l0.copy_(W_hh)
        rnn.weight_ih_l0.copy_(W_xh)
        rnn.bias_ih_l0.copy_(b)
        rnn.bias_hh_l0.zero_()

    def fused():
        rnn.zero_grad(set_to_none=True)
        _, h_n = rnn(xt)
        torch.matmul(h_n[0], u).sum().backward()
        return rnn.weight_hh_l0.grad, rnn.weight_ih_l0.grad, rnn.bias_ih_l0.grad

    return loop, fused


def rel_err(a: np.ndarray, b: np.ndarray) -> float:
    nb = np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / nb) if nb > 0 else float(np.linalg.norm(a))


def check_agreement(core, loop, fused) -> tuple[float, float, float]:
    """Relative errors: dL/dh_t (worst step, vs the loop), parameter gradients vs the loop, vs nn.RNN."""
    grad, pg = core()
    g_core = grad.values()  # (T+1, B, N)
    hs, loop_pg = loop()
    worst = 0.0
    for t, h in enumerate(hs):
        ref = h.grad.numpy()
        if np.linalg.norm(ref) > 0:
            worst = max(worst, rel_err(g_core[t], ref))
    core_pg = pg.values()
    e_loop = max(rel_err(c, r.numpy()) for c, r in zip(core_pg, loop_pg, strict=True))
    e_fused = math.nan
    if fused is not None:
        e_fused = max(rel_err(c, r.numpy()) for c, r in zip(core_pg, fused(), strict=True))
    return worst, e_loop, e_fused


# ------------------------------------------------------------------------------------------------------- sections

def matmul_peak(quick: bool) -> tuple[float, list[Sample]]:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(PEAK_SIZE, PEAK_SIZE)), rng.normal(size=(PEAK_SIZE, PEAK_SIZE))
    out = np.empty_like(a)
    wait_idle()
    samples = time_calls(lambda: np.matmul(a, b, out=out), 3 if quick else 7, 1 if quick else 2)
    return 2 * PEAK_SIZE**3 / med(samples) / 1e9, samples


def bench_workloads(torch, quick: bool, log) -> list[dict]:
    results = []
    for N, T, B in WORKLOADS:
        config, params, x = make_workload(N, T, B)
        contenders = {"rnn_core": core_fn(params, x)}
        errs = (math.nan, math.nan, math.nan)
        if torch is not None:
            loop, fused = torch_fns(torch, params, x)
            errs = check_agreement(contenders["rnn_core"], loop, fused)
            contenders["torch_loop"] = loop
            contenders["torch_nn_rnn"] = fused
        repeats = 3 if quick else REPEATS[(N, T, B)]
        warmup = 1 if quick else WARMUP[(N, T, B)]
        log(f"  (N, T, B) = ({N}, {T}, {B}): {repeats} repeats x {len(contenders)} contenders ...")
        meter = LoadMeter()
        samples, canaries = time_blocks(contenders, repeats, warmup)
        pairs = 3 if quick else PAIRS[(N, T, B)]
        # bursts long enough that each member lasts ~BURST_S: several calls of the small workload, one of the large
        burst = max(1, min(MAX_BURST, math.ceil(BURST_S / med(samples["rnn_core"]))))
        paired = {name: time_pairs(contenders["rnn_core"], fn, pairs, burst)
                  for name, fn in contenders.items() if name != "rnn_core"}
        others = meter.stop()
        results.append({"N": N, "T": T, "B": B, "D": config.input_dim, "flops": flops(N, T, B, config.input_dim),
                        "samples": samples, "median": {k: med(v) for k, v in samples.items()}, "canary": canaries,
                        "paired": paired, "burst": burst, "err_dh": errs[0], "err_pg_loop": errs[1],
                        "err_pg_fused": errs[2], "others": others})
    return results


def bench_analyze(quick: bool) -> dict:
    """analyze(Config()) and its parts, timed round-robin (one call of each per round) so that all see one machine."""
    cfg = Config()
    repeats, warmup = (5, 2) if quick else (31, 5)
    params, x = init_params(cfg), init_inputs(cfg)
    traj = forward(params, x, cfg.activation)
    grad = backward(params, traj, "last")
    fns = {
        "analyze": lambda: analyze(cfg),
        "init_params + init_inputs": lambda: (init_params(cfg), init_inputs(cfg)),
        "forward": lambda: forward(params, x, cfg.activation),
        "backward": lambda: backward(params, traj, "last"),
        "jacobian_products": lambda: jacobian_products(params, traj, False),
        "lyapunov_spectrum (k=8)": lambda: lyapunov_spectrum(params, traj, k=8, seed=cfg.seed),
        "spectrum": lambda: spectrum(params.W_hh),
        "step_contributions": lambda: step_contributions(grad, traj),
    }
    wait_idle()
    speed = min(canary() for _ in range(3))
    meter = LoadMeter()
    samples: dict[str, list[Sample]] = {name: [] for name in fns}
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    gc.collect()  # once: GC stays off for the round-robin (see time_calls)
    gc.disable()
    try:
        for _ in range(repeats):
            for name, fn in fns.items():
                samples[name] += time_calls(fn, 1, 0, budget=0.0, collect=False)
    finally:
        gc.enable()
    total = samples.pop("analyze")
    return {"samples": total, "median": med(total), "parts": {k: med(v) for k, v in samples.items()},
            "part_samples": samples, "others": meter.stop(), "canary": [speed, min(canary() for _ in range(3))]}


def bench_sweeps(quick: bool) -> dict:
    repeats, warmup = (3, 1) if quick else (7, 1)
    base = Config(hidden_size=128, seq_len=200, batch_size=8, activation="tanh")
    wait_idle()
    meter = LoadMeter()
    s1 = time_calls(lambda: sweep(base, GAINS), repeats, warmup)
    o1 = meter.stop()
    base_map = Config(hidden_size=128, seq_len=200, batch_size=1)
    wait_idle()
    meter.start()
    s2 = time_calls(lambda: sweep(base_map, GAINS, seeds=(0, 1, 2), activations=("tanh", "sigmoid", "relu", "linear")),
                    repeats, warmup)
    return {"sweep": {"samples": s1, "median": med(s1), "others": o1},
            "map": {"samples": s2, "median": med(s2), "others": meter.stop()}}


# ------------------------------------------------------------------------------------------------------- printing

def env_lines(torch, torch_note: str) -> list[str]:
    blas = "?"
    try:
        info = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        blas = f"{info.get('name')} {info.get('version')}"
    except Exception:
        pass
    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    blas_env = {k: v for k, v in os.environ.items()
                if k.startswith(("OPENBLAS", "OMP_", "MKL_", "GOTO", "BLIS", "KMP_", "GOMP_"))}
    lines = [
        f"machine : {cpu}, {N_CORES} cores, {platform.system()} {platform.machine()}",
        f"python  : {platform.python_version()}   numpy {np.__version__} ({blas})   "
        f"rnn_core from {Path(rnn_core.__file__).parent}",
        f"env     : OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '<unset>')} (left as found); "
        f"other BLAS/OpenMP variables: {blas_env or 'none'}",
        f"paths   : {'fast paths on (rnn_core.fast)' if rnn_core.fast.ENABLED else 'generic engine only (--generic)'}"
        f"; halves of the batch on two cores: {'yes' if rnn_core.fast.serial_blas.setter else 'no (BLAS not found)'}",
    ]
    if torch is not None:
        lines.append(f"torch   : {torch.__version__}, CPU, float64, torch.set_num_threads({torch.get_num_threads()})")
    else:
        lines.append(f"torch   : {torch_note} -> the torch columns are SKIPPED")
    return lines


def print_report(res: dict, torch, torch_note: str, out=print) -> tuple[int, int]:
    passes = misses = 0

    def judge(ok: bool) -> str:
        nonlocal passes, misses
        passes += ok
        misses += not ok
        return verdict(ok)

    W = 120
    out("=" * W)
    out("rnn_core benchmark" + ("   [QUICK MODE: too few repeats, not for reporting]" if res["quick"] else ""))
    out("=" * W)
    for line in env_lines(torch, torch_note):
        out(line)
    others = res["others_during"]
    if others is not None:
        state = ("idle" if others < IDLE_CORES else
                 "NOT IDLE: other processes competed; contended samples were replaced where the budget allowed")
        out(f"load    : other processes used {res['others_before']:.2f} of {N_CORES} cores before the run and "
            f"{others:.2f} on average during it ({state}); waited {res['waited']:.0f} s for idle")
    out(f"peak    : np.matmul {PEAK_SIZE}x{PEAK_SIZE} float64: {res['peak']:.1f} GFLOP/s "
        f"(samples clean {clean_tag(res['peak_samples'])}, spread {spread(res['peak_samples']).strip()})")
    out("Times are medians over the clean samples (other processes used < 1/4 core during the call); 'clean' = clean/"
        "taken,")
    out("'!' = too few clean, median over all; 'spread' = half the interquartile range / median.")

    # 1 ------------------------------------------------------------------------------------------------------------
    out("")
    out("1. forward + log-domain BPTT gradients (dL/dh_t for all t, dL/dW_hh, dL/dW_xh, dL/db); tanh, normal gain 1, "
        "noise D=8, L = sum_b u.h_T")
    out("   rnn_core = forward + gradients(loss='last') (= backward + param_grads); speedup = torch / rnn_core time")
    out("   (a) torch autograd, per-step loop, h.retain_grad() on every h_t: LIKE-FOR-LIKE (gives every dL/dh_t)")
    out("   (b) torch.nn.RNN fused fwd+bwd, parameter gradients only: HARDER reference (gives no dL/dh_t)")
    hdr = (f"   {'(N, T, B)':<16}{'rnn_core ms':>12}{'clean':>6}{'spread':>7} |"
           f"{'(a) loop ms':>12}{'clean':>6}{'speedup':>9}{'target':>8}{'':>5} |"
           f"{'(b) nn.RNN ms':>14}{'clean':>6}{'speedup':>9}{'target':>8}{'':>5}")
    out(hdr)
    out("   " + "-" * (len(hdr) - 3))
    for r in res["workloads"]:
        key = (r["N"], r["T"], r["B"])
        m, smp = r["median"], r["samples"]
        tgt = f">={SPEEDUP_TARGET[key]:g}x"
        row = f"   {key!s:<16}{ms(m['rnn_core']):>12}{clean_tag(smp['rnn_core']):>6}{spread(smp['rnn_core']):>7} |"
        if torch is None:
            row += f"{'skipped':>12}{'':>6}{'-':>9}{tgt:>8}{'':>5} |{'skipped':>14}{'':>6}{'-':>9}{tgt:>8}"
        else:
            for name in ("torch_loop", "torch_nn_rnn"):
                speedup = m[name] / m["rnn_core"]
                width = 12 if name == "torch_loop" else 14
                row += (f"{ms(m[name]):>{width}}{clean_tag(smp[name]):>6}{speedup:>8.2f}x{tgt:>8}"
                        f"{judge(speedup >= SPEEDUP_TARGET[key]):>5}" + (" |" if name == "torch_loop" else ""))
        out(row)
    out("   other processes during the timing (cores): " + ",  ".join(
        f"{(r['N'], r['T'], r['B'])}: {cores(r['others'])}" for r in res["workloads"]))
    fastest = min((c for r in res["workloads"] for v in r["canary"].values() for c in v), default=math.nan)
    out(f"   machine speed before each block (canary, fastest of the section = 100% = {1e3 * fastest:.2f} ms; "
        "below ~80% the host was busy):")
    for r in res["workloads"]:
        out(f"     {(r['N'], r['T'], r['B'])!s:<16} " + ";  ".join(
            f"{name} " + ", ".join(f"{fastest / c:.0%}" for c in v) for name, v in r["canary"].items()))
    if torch is not None:
        out("   the same speedups from interleaved pairs (rnn_core, torch, alternating; each pair sees nearly the same")
        out("   host speed; a member: median of a burst of >= 20 ms or 25 calls): median of the per-pair ratios")
        for r in res["workloads"]:
            key = (r["N"], r["T"], r["B"])
            cells = []
            for name, label in (("torch_loop", "(a)"), ("torch_nn_rnn", "(b)")):
                ratios = r["paired"][name]
                med_ratio = statistics.median(ratios)
                cells.append(f"{label} {med_ratio:.2f}x [{min(ratios):.2f} - {max(ratios):.2f}] over {len(ratios)} "
                             f"{judge(med_ratio >= SPEEDUP_TARGET[key])}")
            out(f"     {key!s:<16} " + ";   ".join(cells))
        out("   agreement with torch before timing (relative 2-norm error, float64):")
        for r in res["workloads"]:
            out(f"     {(r['N'], r['T'], r['B'])!s:<16} dL/dh_t vs (a), worst step {r['err_dh']:.1e};   "
                f"dL/dW_hh, dL/dW_xh, dL/db vs (a) {r['err_pg_loop']:.1e}, vs (b) {r['err_pg_fused']:.1e}")
    else:
        out("   torch not available: reference columns skipped, no PASS/MISS for them.")

    # 2 ------------------------------------------------------------------------------------------------------------
    out("")
    s = res["sweeps"]["sweep"]
    out("2. sweep(Config(hidden_size=128, seq_len=200, batch_size=8, tanh), 40 gains geomspace(0.1, 10))")
    out(f"   median {ms(s['median'])} ms   clean {clean_tag(s['samples'])}   spread {spread(s['samples']).strip()}"
        f"   target < {SWEEP_TARGET_S:g} s   {judge(s['median'] < SWEEP_TARGET_S)}   "
        f"(others: {cores(s['others'])} cores)")

    # 3 ------------------------------------------------------------------------------------------------------------
    out("")
    a = res["analyze"]
    out("3. analyze(Config())   (N=64, T=100, B=1, tanh; Jacobian-product norms, top-8 Lyapunov exponents)")
    out(f"   median {ms(a['median'])} ms   clean {clean_tag(a['samples'])}   spread {spread(a['samples']).strip()}"
        f"   target < {1e3 * ANALYZE_TARGET_S:g} ms   {judge(a['median'] < ANALYZE_TARGET_S)}   "
        f"(others: {cores(a['others'])} cores)")
    fastest = min((c for r in res["workloads"] for v in r["canary"].values() for c in v), default=math.nan)
    out("   machine speed before and after (canary, fastest of section 1 = 100%): "
        + ", ".join(f"{fastest / c:.0%}" for c in a["canary"]))
    out("   breakdown (each part called alone on the same inputs, round-robin with analyze(); medians):")
    total_parts = 0.0
    for name, t in a["parts"].items():
        total_parts += t
        out(f"     {name:<30}{ms(t)} ms  {100 * t / a['median']:5.1f}%")
    rest = a["median"] - total_parts
    out(f"     {'rest (state stats, diagnosis)':<30}{ms(rest)} ms  {100 * rest / a['median']:5.1f}%")

    # 4 ------------------------------------------------------------------------------------------------------------
    out("")
    out("4. achieved GFLOP/s of the workloads of 1 (matmul flops: forward 2BN(N+D)T + backward dL/dh 2BN^2 T + "
        "param-grad einsums 2BN(N+D)T)")
    out(f"   against the matmul peak measured above ({res['peak']:.1f} GFLOP/s); no target given: informational")
    hdr = (f"   {'(N, T, B)':<16}{'GFLOP':>8} |{'rnn_core GF/s':>15}{'of peak':>9} |{'(a) loop GF/s':>15}"
           f"{'of peak':>9} |{'(b) nn.RNN GF/s':>17}{'of peak':>9}")
    out(hdr)
    out("   " + "-" * (len(hdr) - 3))
    for r in res["workloads"]:
        g = r["flops"] / 1e9
        cells = []
        for name, width in (("rnn_core", 15), ("torch_loop", 15), ("torch_nn_rnn", 17)):
            if name not in r["median"]:
                cells.append(f"{'skipped':>{width}}{'-':>9}")
                continue
            rate = g / r["median"][name]
            cells.append(f"{rate:>{width}.2f}{100 * rate / res['peak']:>8.1f}%")
        out(f"   {(r['N'], r['T'], r['B'])!s:<16}{g:>8.3f} |" + " |".join(cells))

    # 5 ------------------------------------------------------------------------------------------------------------
    out("")
    s = res["sweeps"]["map"]
    out("5. regime map: sweep(Config(hidden_size=128, seq_len=200, batch_size=1), 40 gains, seeds=(0, 1, 2), "
        "activations=('tanh', 'sigmoid', 'relu', 'linear'))")
    out(f"   median {ms(s['median'])} ms   clean {clean_tag(s['samples'])}   spread {spread(s['samples']).strip()}"
        f"   target < {MAP_TARGET_S:g} s   {judge(s['median'] < MAP_TARGET_S)}   (others: {cores(s['others'])} cores)")

    out("")
    out("=" * W)
    skipped = "" if torch is not None else "  (torch comparisons skipped: torch not available)"
    cut = (f";  {res['cut']} blocks cut short after the {RUN_DEADLINE_S:.0f} s deadline (busy machine)"
           if res["cut"] else "")
    out(f"summary: {passes} PASS, {misses} MISS{skipped};  wall time of the run {res['wall']:.0f} s{cut}")
    out("=" * W)
    return passes, misses


# ------------------------------------------------------------------------------------------------------ profiling

def profile(top: int = 18) -> None:
    """cProfile of analyze(Config()) (200 calls) and of the (128, 1000, 16) workload (3 calls), by own time."""
    cfg = Config()
    for _ in range(5):
        analyze(cfg)
    _, params, x = make_workload(128, 1000, 16)
    run = core_fn(params, x)
    run()
    cases = [("analyze(Config()) x 200", lambda: [analyze(cfg) for _ in range(200)]),
             ("forward + backward + param_grads at (128, 1000, 16) x 3", lambda: [run() for _ in range(3)])]
    for title, fn in cases:
        wait_idle()
        prof = cProfile.Profile()
        t0 = time.perf_counter()
        prof.enable()
        fn()
        prof.disable()
        wall = time.perf_counter() - t0
        print("=" * 120)
        print(f"cProfile: {title}  (wall {wall:.2f} s under the profiler)")
        print("=" * 120)
        for key, label, pattern in (("tottime", "top functions by own time", None),
                                    ("cumulative", "rnn_core functions by cumulative time", r"rnn_core")):
            buf = io.StringIO()
            stats = pstats.Stats(prof, stream=buf).sort_stats(key)
            if pattern:
                stats.print_stats(pattern, top)
            else:
                stats.print_stats(top)
            text = buf.getvalue()
            body = text[text.find("   ncalls"):] if "   ncalls" in text else text
            print(f"-- {label} --")
            print("\n".join(line.replace(str(ROOT) + "/", "") for line in body.rstrip().splitlines()))
            print()


# ----------------------------------------------------------------------------------------------------------- main

def load_torch(disabled: bool):
    if disabled:
        return None, "disabled by --no-torch"
    try:
        import torch
    except ImportError as err:
        return None, f"not installed ({err})"
    torch.set_num_threads(N_CORES)
    return torch, ""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--no-torch", action="store_true", help="skip the torch references, as if torch were missing")
    ap.add_argument("--quick", action="store_true", help="few repeats: a smoke test, not figures to report")
    ap.add_argument("--profile", action="store_true", help="print cProfile hotspots instead of the table")
    ap.add_argument("--generic", action="store_true", help="the generic engine only: rnn_core.fast turned off")
    ap.add_argument("--json", metavar="PATH", help="also write the figures and raw samples as JSON")
    ap.add_argument("--wait-idle", type=float, default=0.0, metavar="S",
                    help="first wait up to S seconds for other processes to leave the machine idle (default 0)")
    args = ap.parse_args(argv)

    if args.generic:
        rnn_core.fast.ENABLED = False
    if args.profile:
        profile()
        return 0

    torch, torch_note = load_torch(args.no_torch)

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    if args.wait_idle > 0:
        log(f"waiting up to {args.wait_idle:g} s for the machine to go idle ...")
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < args.wait_idle:
            busy = others_busy(0.5)
            if busy is None or busy < IDLE_CORES:
                break
        log(f"  waited {time.perf_counter() - t0:.0f} s")
    start = _run["start"] = time.perf_counter()
    res: dict = {"quick": args.quick}
    log("measuring the load of other processes ...")
    res["others_before"] = others_busy(1.0)
    b0, o0 = _system_busy_ticks(), _own_ticks()
    log("matmul peak ...")
    res["peak"], res["peak_samples"] = matmul_peak(args.quick)
    log("workloads (forward + BPTT) ...")
    res["workloads"] = bench_workloads(torch, args.quick, log)
    log("analyze(Config()) ...")
    res["analyze"] = bench_analyze(args.quick)
    log("sweeps ...")
    res["sweeps"] = bench_sweeps(args.quick)
    b1, o1 = _system_busy_ticks(), _own_ticks()
    res["wall"] = time.perf_counter() - start
    res["others_during"] = (None if b0 is None or b1 is None or res["others_before"] is None
                            else max(0.0, (b1 - b0) - (o1 - o0)) / CLK_TCK / res["wall"])
    res["waited"] = _waited[0]
    res["cut"] = _run["cut"]
    print_report(res, torch, torch_note)
    if args.json:
        def plain(obj):
            if isinstance(obj, Sample):
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
