"""Load test of the dashboard: many people on one server, each clicking through the presets.

Starts ``streamlit run dashboard.py`` on a free localhost port, opens N sessions (each its own browser context in ONE
headless Chromium) on the Explorer (the root) and, for a fixed time, has every session pick a preset from the sidebar's
"Preset" menu again and again. For each pick it measures the time from the click on the option to the updated page:
the URL holds the preset's settings, the verdict headline shows the preset's regime, its caption the preset's
settings, the script run has finished and the Vega charts are there. After each pick it checks that the session
shows its OWN settings (URL and per-step rate of the preset it picked; the rate is computed here with ``rnn_core``),
which would catch sessions mixing through the shared cache. The server's memory (RSS, children included) is sampled
every 0.5 s, and the CPU time of the server and of Chromium: the browsers run on the same machine as the server, and
drawing a page's seven Vega charts costs Chromium several times the server's work per pick, so on a small machine the
latency measured here is an upper bound for people on their own computers.

    python benchmarks/load_test.py                          # 20 sessions x 60 s
    python benchmarks/load_test.py --sessions 4 --seconds 15
    python benchmarks/load_test.py --think 10               # ~10 s between a session's picks, like people reading
    python benchmarks/load_test.py --no-vega                # diagnostic: the same without drawing the charts
    python benchmarks/load_test.py --step-timeout 120       # wait for slow picks (and check them for mixing)
    python benchmarks/load_test.py --restart                # kill and restart the server under an open page

Targets: p95 latency < 3 s, peak server RSS < 1024 MB, no errors (error boxes, timeouts over 20 s, page errors), no
mismatches. Localhost only; every loop is bounded by the duration and a 20 s timeout per step.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.async_api import Browser, Page, async_playwright  # noqa: E402
from playwright.async_api import TimeoutError as PlaywrightTimeout  # noqa: E402

from rnn_core import Config, analyze  # noqa: E402
from rnn_core.diagnosis import rate_text  # noqa: E402
from rnn_core.presets import PRESETS  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
LIMIT_S = 20.0  # a pick that takes longer is an error (a timeout)
STEP_TIMEOUT_S = 20.0  # how long a session waits for a pick (--step-timeout; longer: see slow picks through)
MIN_CHARTS = 6  # the Explorer draws 7 Vega charts for the vanilla cell (see CHARTS_BY_CELL)
# The Explorer's charts by cell (pages/explorer.py): the gated cells have no spectrum (no single recurrent matrix)
CHARTS_BY_CELL = {"rnn": 7, "leaky": 7, "lru": 7, "lstm": 5, "gru": 5}
TARGET_P95_S, TARGET_RSS_MB = 3.0, 1024.0
PRESET_MENU = "[data-testid=stSidebar] [data-testid=stSelectbox]"  # the first one is "Preset"

# What the page shows, read in the browser.
STATE_JS = """() => {
  const main = document.querySelector('[data-testid=stMain]');
  const app = document.querySelector('[data-test-script-state]');
  const metric = [...document.querySelectorAll('[data-testid=stMain] [data-testid=stMetric]')]
    .find(m => m.innerText.trim().startsWith('per-step rate'));
  const value = metric && metric.querySelector('[data-testid=stMetricValue]');
  return {
    search: location.search,
    h2: main ? [...main.querySelectorAll('h2')].map(e => e.innerText.trim()) : [],
    text: main ? main.innerText : '',
    state: app ? app.getAttribute('data-test-script-state') : null,
    charts: document.querySelectorAll('.vega-embed canvas, .vega-embed svg').length,
    exceptions: document.querySelectorAll('[data-testid=stException]').length,
    metric: value ? value.innerText.trim() : null,
  };
}"""

# True once the page shows `exp` (or an error box, to stop waiting early).
UPDATED_JS = """(exp) => {
  if (document.querySelectorAll('[data-testid=stException]').length) return true;
  const p = new URLSearchParams(location.search);
  for (const [k, v] of Object.entries(exp.params)) if (p.get(k) !== v) return false;
  const main = document.querySelector('[data-testid=stMain]');
  if (!main) return false;
  // textContent, not innerText: no layout on every poll (20 pages poll at once)
  if (![...main.querySelectorAll('h2')].some(e => e.textContent.includes(exp.regime))) return false;
  if (!main.textContent.includes(exp.caption)) return false;
  const app = document.querySelector('[data-test-script-state]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  return document.querySelectorAll('.vega-embed canvas, .vega-embed svg').length >= exp.charts;
}"""


# ---------------------------------------------------------------------------------------------------------------------
# The server and its memory
# ---------------------------------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``streamlit run dashboard.py`` on 127.0.0.1:port (in folder ``cwd``), its output in a log file."""

    def __init__(self, port: int, cwd: Path = ROOT):
        self.port, self.cwd = port, cwd
        self.url = f"http://127.0.0.1:{port}"
        self.log = tempfile.NamedTemporaryFile(prefix="streamlit_load_", suffix=".log", delete=False)
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.headless", "true",
             "--server.port", str(self.port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
            cwd=self.cwd, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2)
                return
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.stop()
                    raise RuntimeError(f"streamlit did not start on port {self.port}:\n{self.log_tail()}") from None
                time.sleep(0.3)

    def stop(self, kill: bool = False) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        if kill:
            self.proc.send_signal(signal.SIGKILL)
        else:
            self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=15)

    def log_text(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def log_tail(self, n: int = 3000) -> str:
        return self.log_text()[-n:]

    def remove_log(self) -> None:
        self.log.close()
        with contextlib.suppress(OSError):
            os.unlink(self.log.name)


def _descendants(pid: int) -> list[int]:
    """``pid`` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])  # the command name may hold spaces and parentheses
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (from /proc/PID/stat)."""
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / os.sysconf("SC_CLK_TCK")


def browser_pids() -> list[int]:
    """The Chromium processes this script started (through Playwright's driver)."""
    out = []
    for p in _descendants(os.getpid()):
        with contextlib.suppress(OSError), open(f"/proc/{p}/comm") as f:
            if "chrom" in f.read():
                out.append(p)
    return out


def _rss_proc(pid: int) -> int:
    total = 0
    for p in _descendants(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
                        break
        except OSError:
            continue
    return total


try:
    import psutil

    def rss_bytes(pid: int) -> int:
        try:
            proc = psutil.Process(pid)
            procs = [proc, *proc.children(recursive=True)]
        except psutil.Error:
            return 0
        total = 0
        for p in procs:
            with contextlib.suppress(psutil.Error):
                total += p.memory_info().rss
        return total

    RSS_SOURCE = "psutil"
except ImportError:
    rss_bytes = _rss_proc
    RSS_SOURCE = "/proc/PID/status VmRSS"


class RssSampler(threading.Thread):
    """Samples the RSS of a process tree every ``interval`` seconds; keeps the peak."""

    def __init__(self, pid: int, interval: float = 0.5):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak = 0
        self.samples: list[int] = []
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            rss = rss_bytes(self.pid)
            self.samples.append(rss)
            self.peak = max(self.peak, rss)
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=5)


# ---------------------------------------------------------------------------------------------------------------------
# What each preset must show
# ---------------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Expected:
    name: str  # the preset's name in the menu (or a label)
    slug: str
    params: dict[str, str]  # the URL's query parameters (every field, as sync_url writes them)
    regime: str  # in the verdict headline
    caption: str  # under the headline
    rate: str  # the per-step rate metric
    charts: int = MIN_CHARTS  # the Vega charts the Explorer draws for it

    def js(self, min_charts: int | None = None) -> dict[str, Any]:
        return {"params": self.params, "regime": self.regime, "caption": self.caption,
                "charts": self.charts if min_charts is None else min_charts}


def expected(config: Config, name: str, slug: str) -> Expected:
    """What the Explorer shows for ``config`` (computed here, with the same core and the same caption)."""
    from ui.captions import config_summary  # the line under the verdict, as the page writes it

    c, d = config, analyze(config).diagnosis
    return Expected(name, slug, {k: str(v) for k, v in c.to_dict().items()}, d.regime.capitalize(),
                    config_summary(c), f"{rate_text(d.rate)}×", CHARTS_BY_CELL.get(c.cell, MIN_CHARTS))


def preset_table() -> list[Expected]:
    return [expected(p.config, p.name, p.slug) for p in PRESETS]


def which_preset(search: str, table: list[Expected]) -> Expected | None:
    """The preset whose settings the URL holds, if any."""
    q = {k: v[-1] for k, v in parse_qs(search.lstrip("?"), keep_blank_values=True).items()}
    for e in table:
        if all(q.get(k) == v for k, v in e.params.items()):
            return e
    return None


# ---------------------------------------------------------------------------------------------------------------------
# The load test
# ---------------------------------------------------------------------------------------------------------------------

@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    interactions: int = 0
    exceptions: int = 0
    timeouts: int = 0
    page_errors: list[str] = field(default_factory=list)
    ui_errors: list[str] = field(default_factory=list)  # the menu or option could not be used
    load_errors: list[str] = field(default_factory=list)  # a session could not open the page at all
    mismatches: list[str] = field(default_factory=list)
    per_session: dict[int, int] = field(default_factory=dict)

    @property
    def late(self) -> int:
        """Picks that completed, but after more than LIMIT_S (possible with a longer --step-timeout)."""
        return sum(t > LIMIT_S for t in self.latencies)

    @property
    def errors(self) -> int:
        return (self.exceptions + self.timeouts + self.late + len(self.page_errors) + len(self.ui_errors)
                + len(self.load_errors))


async def launch(pw) -> Browser:
    return await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


VEGA_JS = re.compile(r"/static/js/(embed|vega[^/]*)\.[^/]*\.js$")  # the chunks that draw Vega charts


async def open_session(browser: Browser, url: str, stats: Stats, i: int, no_vega: bool = False) -> Page | None:
    ctx = await browser.new_context(viewport={"width": 1400, "height": 1000})
    if no_vega:  # diagnostic: the page shows an error box instead of each chart, and draws nothing
        await ctx.route(VEGA_JS, lambda route: route.abort())
    page = await ctx.new_page()
    page.on("pageerror", lambda err: stats.page_errors.append(f"session {i}: {err}"))
    try:
        await page.goto(url, timeout=120_000)
        await page.wait_for_function(
            f"document.querySelectorAll('.vega-embed canvas, .vega-embed svg').length >= {0 if no_vega else MIN_CHARTS}"
            " && document.querySelector('[data-test-script-state]')?.getAttribute('data-test-script-state')"
            " === 'notRunning'", timeout=120_000, polling=200)
    except PlaywrightTimeout as err:
        stats.load_errors.append(f"session {i}: first load: {str(err).splitlines()[0]}")
        await ctx.close()
        return None
    return page


class MenuError(Exception):
    """The preset menu or its option could not be used."""


async def pick(page: Page, e: Expected, min_charts: int | None = None) -> float:
    """Choose ``e``'s preset in the menu; the seconds from the click on the option to the updated page."""
    try:
        await page.locator(PRESET_MENU).first.click(timeout=STEP_TIMEOUT_S * 1000)
        option = page.get_by_role("option", name=e.name, exact=True)
        await option.wait_for(timeout=STEP_TIMEOUT_S * 1000)
        start = time.perf_counter()
        await option.click(timeout=STEP_TIMEOUT_S * 1000)
    except PlaywrightTimeout as err:
        raise MenuError(str(err).splitlines()[0]) from None
    remaining = max(1.0, STEP_TIMEOUT_S - (time.perf_counter() - start))
    await page.wait_for_function(UPDATED_JS, arg=e.js(min_charts), timeout=remaining * 1000, polling=100)
    return time.perf_counter() - start


class Picks:
    """The presets one session picks: each time a random one other than what it shows (``current``), about
    ``think`` seconds apart, until the deadline (``deadline_box[0]``, which the driver may move)."""

    def __init__(self, i: int, table: list[Expected], deadline_box: list[float], think: float) -> None:
        self.rng, self.table, self.deadline_box, self.think = random.Random(1000 + i), table, deadline_box, think
        self.current: Expected | None = None  # the default settings are no preset
        self.done = 0

    async def next(self) -> Expected | None:
        """The next preset to pick, after the think time; None once the deadline has passed."""
        if time.monotonic() >= self.deadline_box[0]:
            return None
        e = self.rng.choice([x for x in self.table if x is not self.current])
        if self.think and self.done:
            await asyncio.sleep(self.rng.uniform(0.5, 1.5) * self.think)
            if time.monotonic() >= self.deadline_box[0]:
                return None
        self.done += 1
        return e


async def run_session(i: int, page: Page, table: list[Expected], start: asyncio.Event, deadline_box: list[float],
                      stats: Stats, think: float, min_charts: int | None) -> None:
    picks = Picks(i, table, deadline_box, think)
    await start.wait()
    while (e := await picks.next()) is not None:
        current = picks.current
        stats.interactions += 1
        try:
            latency = await pick(page, e, min_charts)
        except MenuError as err:
            stats.ui_errors.append(f"session {i}: {err}")
            with contextlib.suppress(Exception):
                await page.keyboard.press("Escape")
            continue
        except PlaywrightTimeout:  # the page did not show the preset within the step timeout
            state = await page.evaluate(STATE_JS)
            stats.timeouts += 1
            shown = which_preset(state["search"], table)
            if shown is not None and shown not in (e, current):  # another session's settings
                stats.mismatches.append(f"session {i}: picked {e.slug!r}, URL shows {shown.slug!r}")
            picks.current = shown
            continue
        state = await page.evaluate(STATE_JS)
        if state["exceptions"]:
            stats.exceptions += 1
            await page.goto(f"{page.url.split('?')[0]}?{urlencode(e.params)}", timeout=60_000)
            picks.current = e
            continue
        stats.latencies.append(latency)
        shown = which_preset(state["search"], table)
        if shown is not e:
            stats.mismatches.append(f"session {i}: picked {e.slug!r}, URL shows "
                                    f"{shown.slug if shown else state['search'][:80]!r}")
        if state["metric"] != e.rate:
            stats.mismatches.append(f"session {i}: picked {e.slug!r}, per-step rate {state['metric']!r} "
                                    f"instead of {e.rate!r}")
        picks.current = e
    stats.per_session[i] = picks.done


def latency_summary(latencies: list[float], timeouts: int, step_timeout: float
                    ) -> tuple[list[float], tuple[float, float, float], Callable[[float], str]]:
    """The latencies with the timed-out picks, their p50, p95 and maximum, and a formatter that marks a timeout.

    A pick that timed out counts as ``step_timeout`` ("at least") in the percentiles: leaving it out would flatter
    them.
    """
    lat = latencies + [step_timeout] * timeouts

    def fmt(v: float) -> str:
        return f"{'>=' if v >= step_timeout else ''}{v:.2f}"

    return lat, (percentile(lat, 50), percentile(lat, 95), max(lat, default=math.nan)), fmt


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    if not values:
        return math.nan
    s = sorted(values)
    return s[max(0, math.ceil(q / 100 * len(s)) - 1)]


async def load_test(sessions: int, seconds: float, think: float = 0.0, no_vega: bool = False) -> int:
    table = preset_table()
    load_before = os.getloadavg()[0]  # the machine is shared: say how busy it was
    server = Server(free_port())
    t_setup = time.perf_counter()
    server.start()
    sampler = RssSampler(server.proc.pid)
    sampler.start()
    stats = Stats()
    try:
        async with async_playwright() as pw:
            browser = await launch(pw)
            url = f"{server.url}/"  # the Explorer is the root (/explorer redirects there)
            # open the sessions a few at a time (all at once, the first load of 20 pages would itself time out)
            pages: list[Page | None] = []
            for k in range(0, sessions, 4):
                pages += await asyncio.gather(*(open_session(browser, url, stats, i, no_vega)
                                                for i in range(k, min(sessions, k + 4))))
            setup = time.perf_counter() - t_setup
            start, deadline_box = asyncio.Event(), [0.0]
            tasks = [asyncio.create_task(run_session(i, p, table, start, deadline_box, stats, think,
                                                         0 if no_vega else None))
                     for i, p in enumerate(pages) if p is not None]
            t0 = time.monotonic()
            cpu0 = (cpu_seconds(_descendants(server.proc.pid)), cpu_seconds(browser_pids()))
            deadline_box[0] = t0 + seconds
            start.set()
            await asyncio.wait_for(asyncio.gather(*tasks), timeout=seconds + 4 * STEP_TIMEOUT_S + 60)
            elapsed = time.monotonic() - t0
            cpu_server = cpu_seconds(_descendants(server.proc.pid)) - cpu0[0]
            cpu_browser = cpu_seconds(browser_pids()) - cpu0[1]
            await browser.close()
    finally:
        sampler.stop()
        server.stop()
    tracebacks = server.log_text().count("Traceback (most recent call last)")

    lat, (p50, p95, pmax), fmt = latency_summary(stats.latencies, stats.timeouts, STEP_TIMEOUT_S)

    peak_mb = sampler.peak / 2**20
    rows = [
        ("sessions", f"{sessions} ({len([p for p in pages if p is not None])} opened)"),
        ("duration", f"{elapsed:.1f} s measured (asked {seconds:g} s; setup {setup:.1f} s)"),
        ("interactions done", f"{stats.interactions} (per session min {min(stats.per_session.values(), default=0)}, "
                              f"max {max(stats.per_session.values(), default=0)})"),
        ("latency p50/p95/max", f"{fmt(p50)} / {fmt(p95)} / {fmt(pmax)} s (over {len(lat)} picks: "
                                f"{len(stats.latencies)} completed, {stats.timeouts} timed out)"),
        ("errors", f"{stats.errors} (error boxes {stats.exceptions}, timeouts > {LIMIT_S:g} s "
                   f"{stats.timeouts + stats.late}, "
                   f"page errors {len(stats.page_errors)}, menu {len(stats.ui_errors)}, "
                   f"first load {len(stats.load_errors)}; server tracebacks {tracebacks})"),
        ("mismatches", str(len(stats.mismatches))),
        ("CPU in the window", f"server {cpu_server:.0f} s ({cpu_server / elapsed:.0%} of one core), Chromium "
                              f"{cpu_browser:.0f} s ({cpu_browser / elapsed:.0%}): the sessions share the "
                              f"{os.cpu_count()} CPUs with the server"),
        ("peak RSS", f"{peak_mb:.0f} MB (server process tree, {RSS_SOURCE}, {len(sampler.samples)} samples "
                     f"every 0.5 s; at the end {sampler.samples[-1] / 2**20 if sampler.samples else 0:.0f} MB)"),
    ]
    print(f"RNN Gradient Lab load test: {sessions} sessions x {seconds:g} s"
          f"{f', think time ~{think:g} s' if think else ''}"
          f"{', DIAGNOSTIC: Vega blocked in the browsers, charts not drawn' if no_vega else ''}"
          f"{f', waiting up to {STEP_TIMEOUT_S:g} s per pick' if STEP_TIMEOUT_S != LIMIT_S else ''} on {url} "
          f"(one headless Chromium, one context per session; {os.cpu_count()} CPUs, load average "
          f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after)")
    return print_verdicts(rows, lat, p95, peak_mb, stats.errors, stats.mismatches,
                          stats.load_errors + stats.ui_errors + stats.page_errors, tracebacks, server)


def print_verdicts(rows: list[tuple[str, str]], lat: list[float], p95: float, peak_mb: float, errors: int,
                   mismatches: list[str], error_items: list[str], tracebacks: int, server: Any,
                   target_p95: float = TARGET_P95_S) -> int:
    """Print the figures, the verdicts against the targets and the first errors; 0 when every target is met.

    Shared by this test and ``load_ws.py``; removes the server's log once printed.
    """
    for name, value in rows:
        print(f"  {name:<20} {value}")
    verdicts = [
        (f"p95 latency < {target_p95:g} s", bool(lat) and p95 < target_p95),
        (f"peak RSS < {TARGET_RSS_MB:g} MB", peak_mb < TARGET_RSS_MB),
        ("zero errors", errors == 0),
        ("zero mismatches", not mismatches),
    ]
    for name, ok in verdicts:
        print(f"  {'PASS' if ok else 'MISS'}  {name}")
    for title, items in (("errors", error_items), ("mismatches", mismatches)):
        for item in items[:10]:
            print(f"    {title}: {item}")
        if len(items) > 10:
            print(f"    ... and {len(items) - 10} more {title}")
    if tracebacks:
        print("  server log (tail):\n" + server.log_tail(2000))
    server.remove_log()
    return 0 if all(ok for _, ok in verdicts) else 1


# ---------------------------------------------------------------------------------------------------------------------
# The restart check
# ---------------------------------------------------------------------------------------------------------------------

async def _shows(page: Page, e: Expected, timeout_s: float) -> bool:
    try:
        await page.wait_for_function(UPDATED_JS, arg=e.js(), timeout=timeout_s * 1000, polling=100)
    except PlaywrightTimeout:
        return False
    return (await page.evaluate(STATE_JS))["exceptions"] == 0


class Wire:
    """The page's websocket traffic: when connections opened and messages arrived (to tell a rerun happened)."""

    def __init__(self, page: Page):
        self.opened: list[float] = []
        self.frames: list[float] = []
        page.on("websocket", self._on_ws)

    def _on_ws(self, ws) -> None:
        self.opened.append(time.monotonic())
        ws.on("framereceived", lambda _: self.frames.append(time.monotonic()))

    def frames_since(self, t: float) -> int:
        return sum(f > t for f in self.frames)


async def _until(predicate, timeout_s: float, page: Page) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        await page.wait_for_timeout(200)
    return predicate()


def _describe(state: dict[str, Any], e: Expected) -> str:
    shown = which_preset(state["search"], [e]) is e
    return (f"URL has the settings: {shown}, headline {state['h2']}, per-step rate {state['metric']} "
            f"(expected {e.rate}), error boxes {state['exceptions']}")


async def _kill_and_restart(page: Page, server: Server, wire: Wire, reconnect_s: float) -> tuple[str, float, bool]:
    """kill -9 the server under the open page, start it again on the same port; wait for the client to reconnect."""
    server.stop(kill=True)
    await page.wait_for_timeout(2000)
    status = await page.locator("[data-testid=stStatusWidget]").all_inner_texts()
    charts = (await page.evaluate(STATE_JS))["charts"]
    server.start()
    t_up = time.monotonic()
    reconnected = await _until(lambda: any(t > t_up - 1 for t in wire.opened), reconnect_s, page)
    after = (f"the client reconnected by itself {max(wire.opened) - t_up:.1f} s after the server was up"
             if reconnected else f"no reconnect within {reconnect_s:g} s")
    return f"while down the page said {status or ['(nothing)']} and kept its {charts} charts; {after}", t_up, \
        reconnected


async def restart_check(reconnect_s: float) -> int:
    server = Server(free_port())
    server.start()
    lines: list[str] = []
    verdicts: list[tuple[str, bool]] = []
    errors: list[str] = []
    try:
        async with async_playwright() as pw:
            browser = await launch(pw)
            ctx = await browser.new_context(viewport={"width": 1400, "height": 1000})
            page = await ctx.new_page()
            page.on("pageerror", lambda err: errors.append(str(err)))
            wire = Wire(page)
            table = {e.slug: e for e in preset_table()}

            # Round 1: a link with settings; the server dies and comes back; the user's next move is a preset
            link = "activation=relu&gain=2.5"
            e1 = expected(Config(activation="relu", gain=2.5), link, link)
            e2 = table["irnn"]
            await page.goto(f"{server.url}/explorer?{link}", timeout=60_000)
            lines.append(f"opened /explorer?{link}: {'OK' if await _shows(page, e1, 60) else 'FAILED'}")
            what, t_up, reconnected = await _kill_and_restart(page, server, wire, reconnect_s)
            lines.append(f"restart 1 (then the first move is a preset): {what}")
            if not reconnected:
                await page.reload(timeout=60_000)
            try:
                first = f"applied in {await pick(page, e2):.2f} s"
                applied = True
            except (PlaywrightTimeout, MenuError):
                applied = False
                first = f"LOST: after {STEP_TIMEOUT_S:g} s the page has rerun on the new server with"
            state = await page.evaluate(STATE_JS)
            shown = which_preset(state["search"], [e1, e2])
            ok = shown is not None and state["exceptions"] == 0 and state["metric"] == shown.rate
            lines.append(f"  choosing the preset {e2.name!r}: {first} the settings of "
                         f"{'the preset' if shown is e2 else 'the link' if shown is e1 else 'NEITHER'}: "
                         f"{_describe(state, shown or e1)}")
            verdicts.append(("restart 1: the page recovers, consistent with its URL", ok))
            verdicts.append(("restart 1: the first move after the restart is applied", applied))
            if not applied:
                menu = await page.locator(PRESET_MENU).first.evaluate(
                    "e => { const i = e.querySelector('input'); return (i && i.value) || e.innerText; }")
                lines.append(f"  the Preset menu now shows {menu.strip().splitlines()[-1]!r}")
                for e in (e2, table["orthogonal"]):
                    try:
                        again = f"applied in {await pick(page, e):.2f} s"
                    except (PlaywrightTimeout, MenuError):
                        again = "LOST again"
                        with contextlib.suppress(Exception):
                            await page.keyboard.press("Escape")
                    lines.append(f"  then choosing {e.name!r}: {again}")
            state = await page.evaluate(STATE_JS)
            now = which_preset(state["search"], [*table.values(), e1])
            if now is None:
                raise RuntimeError(f"the page shows no known settings: {state['search']}")

            # Round 2: the server dies again; after the reconnect, a plain rerun (R) must show the URL's settings
            what, t_up, reconnected = await _kill_and_restart(page, server, wire, reconnect_s)
            lines.append(f"restart 2 (showing {now.name!r}; then R, rerun): {what}")
            if reconnected:
                await page.evaluate("document.activeElement && document.activeElement.blur()")
                await page.keyboard.press("r")
                ran = await _until(lambda: wire.frames_since(t_up) > 0, 20, page)
                ok = ran and await _shows(page, now, 30)
                lines.append(f"  the rerun {'ran' if ran else 'did not run'}: "
                             f"{_describe(await page.evaluate(STATE_JS), now)}")
            else:
                ok = False
            verdicts.append(("restart 2: after the reconnect the page reruns with the settings of its URL", ok))

            # Round 3: and once more, recovering with a reload
            what, t_up, _ = await _kill_and_restart(page, server, wire, reconnect_s)
            lines.append(f"restart 3 (then a reload): {what}")
            await page.reload(timeout=60_000)
            ok = await _shows(page, now, 60)
            lines.append(f"  after the reload: {_describe(await page.evaluate(STATE_JS), now)}")
            verdicts.append(("restart 3: a reload shows the settings of its URL", ok))
            lines.append(f"page errors: {len(errors)} {errors[:3]}")
            await browser.close()
    finally:
        server.stop()
    tracebacks = server.log_text().count("Traceback (most recent call last)")
    print(f"RNN Gradient Lab restart check on {server.url} (kill -9, restart on the same port; waits up to "
          f"{reconnect_s:g} s for the client to reconnect)")
    for line in lines:
        print(f"  {line}")
    print(f"  server tracebacks: {tracebacks}")
    if tracebacks:
        print("  server log (tail):\n" + server.log_tail(2000))
    server.remove_log()
    verdicts.append(("no page errors", not errors))
    for name, ok in verdicts:
        print(f"  {'PASS' if ok else 'MISS'}  {name}")
    return 0 if all(ok for _, ok in verdicts) else 1


def main() -> int:
    global STEP_TIMEOUT_S
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=20, help="concurrent browser sessions (default 20)")
    parser.add_argument("--seconds", type=float, default=60.0, help="duration of the measured window (default 60)")
    parser.add_argument("--think", type=float, default=0.0,
                        help="mean pause in seconds between a session's picks (default 0: pick again at once)")
    parser.add_argument("--step-timeout", type=float, default=STEP_TIMEOUT_S,
                        help=f"seconds a session waits for one pick (default {STEP_TIMEOUT_S:g}); a longer wait lets "
                             f"slow picks complete (and be checked for mixing); over {LIMIT_S:g} s they still count "
                             "as errors")
    parser.add_argument("--no-vega", action="store_true",
                        help="diagnostic: the browsers do not load Vega (an error box replaces each chart), so that "
                             "the latency is the server's and the page's without the drawing of the charts")
    parser.add_argument("--restart", action="store_true",
                        help="instead of the load test: kill and restart the server under an open page")
    parser.add_argument("--reconnect-seconds", type=float, default=60.0,
                        help="how long the restart check waits for the client to reconnect by itself (default 60)")
    args = parser.parse_args()
    STEP_TIMEOUT_S = max(LIMIT_S, min(300.0, args.step_timeout))
    if not Path(CHROMIUM).exists():
        print(f"no Chromium at {CHROMIUM} (apt-get install chromium; never `playwright install`)", file=sys.stderr)
        return 2
    if args.restart:
        return asyncio.run(restart_check(args.reconnect_seconds))
    if not 1 <= args.sessions <= 50 or not 1 <= args.seconds <= 600:
        parser.error("--sessions must be in 1..50 and --seconds in 1..600 (a shared machine)")
    return asyncio.run(load_test(args.sessions, args.seconds, args.think, args.no_vega))


if __name__ == "__main__":
    sys.exit(main())
