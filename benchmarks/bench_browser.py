"""What a person waits for in the Explorer, measured in headless Chromium at 1440x900 against a local server.

Four actions, each timed from the action until the verdict shows the new numbers and all of the Explorer's charts
are drawn (the last draw of a quiet page, canvas call or SVG change: the script has finished and nothing has been
drawn for 300 ms):

- ``reload``  a warm reload of the Explorer (server cache and browser cache warm);
- ``slider``  one step of the gain slider (ArrowRight on its thumb; the first steps reach new gains, computed on the
  server, the steps back are cached there);
- ``preset``  a preset picked from the menu (the vanilla-cell presets, each one different from the last);
- ``map``     a click on a Regime-map cell until the Explorer shows that network (each repeat a different cell);
- ``map-link`` (a diagnostic, not run by default) the same way from the map to the Explorer by the sidebar's link:
  Streamlit's navigation inside the page, what a map cell would cost if it did not load a new page.

Each action is also split into what the websocket brought (from the action to the run's last message: the server's
rerun plus the transport; its bytes) and what the browser did after it (React, Vega's parsing and drawing), and,
with ``--profile``, where the browser's main thread spent its time (a CPU profile by script: Vega, Streamlit, ...).
``--charts`` prints what each chart sends (Vega-Lite spec size, rows, marks) from a server-side run (AppTest).

    python benchmarks/bench_browser.py                   # every action, 7 repeats each
    python benchmarks/bench_browser.py --only slider preset --repeats 11
    python benchmarks/bench_browser.py --profile --charts
    python benchmarks/bench_browser.py --app /tmp/before /tmp/after   # two copies of the app, interleaved repeats

Targets (issue 13, medians): reload <= 1.0 s, slider step <= 0.3 s, preset <= 0.4 s, map cell to Explorer <= 1.5 s.
The browser runs on the same machine as the server: on a small shared machine both compete for the CPU, so the
figures are an upper bound for people on their own computers. Localhost only.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from load_test import CHROMIUM, CHROMIUM_ARGS, PRESET_MENU, Server, free_port  # noqa: E402
from playwright.sync_api import Page, sync_playwright  # noqa: E402

from rnn_core.presets import PRESETS  # noqa: E402

TARGETS = {"reload": 1.0, "slider": 0.3, "preset": 0.4, "map": 1.5}  # map-link: a diagnostic, no target
VIEWPORT = {"width": 1440, "height": 900}
QUIET_MS = 300  # no canvas drawn for this long: the page is done
CHARTS = ".vega-embed canvas, .vega-embed svg"

# Stamps every canvas draw call and every change inside a chart's element (Vega draws the heatmap on a canvas, the
# other charts as SVG): the end of the drawing is the last stamp. The canvas wrapper costs ~1 us a call (a heatmap
# of 6,464 cells: a few ms).
DRAW_HOOK = """(() => {
  window.__lastDraw = 0; window.__draws = 0; window.__action = 0;
  const P = CanvasRenderingContext2D.prototype;
  for (const m of ['fill', 'stroke', 'fillRect', 'strokeRect', 'fillText', 'drawImage']) {
    const f = P[m];
    P[m] = function (...a) { window.__lastDraw = performance.now(); window.__draws++; return f.apply(this, a); };
  }
  // Vega draws most charts as SVG: a change inside a chart's element is a draw too
  new MutationObserver(records => {
    for (const r of records) {
      const el = r.target.nodeType === 1 ? r.target : r.target.parentElement;
      if (el && el.closest('.vega-embed')) { window.__lastDraw = performance.now(); window.__draws++; return; }
    }
  }).observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
  // the moment of the user's action, as the page sees it (not when the driver sent it)
  const stamp = () => { window.__action = performance.timeOrigin + performance.now(); };
  addEventListener('keydown', stamp, true);
  addEventListener('mousedown', stamp, true);
})();"""

# Resolves with the epoch time (ms) at which the page finished showing what ``cond`` waits for.
WAIT_DONE = """async ([cond, minCharts, quiet, timeoutMs]) => {
  const t0 = performance.now();
  const metric = () => {
    const m = [...document.querySelectorAll('[data-testid=stMain] [data-testid=stMetric]')]
      .find(e => e.innerText.trim().startsWith('per-step rate'));
    const v = m && m.querySelector('[data-testid=stMetricValue]');
    return v ? v.innerText.trim() : null;
  };
  let seen = null;  // when the verdict first showed the new numbers
  while (performance.now() - t0 < timeoutMs) {
    await new Promise(r => setTimeout(r, 20));
    const app = document.querySelector('[data-test-script-state]');
    const idle = app && app.getAttribute('data-test-script-state') === 'notRunning';
    const value = metric();
    const q = new URLSearchParams(location.search);
    const ok = value !== null && (cond.before === null || value !== cond.before)
      && Object.entries(cond.params || {}).every(([k, v]) => q.get(k) === v)
      && (!cond.changed || q.get(cond.changed[0]) !== cond.changed[1])
      && (cond.search === undefined || location.search !== cond.search);
    if (ok && seen === null) seen = performance.now();
    if (!ok) seen = null;
    const charts = document.querySelectorAll('.vega-embed canvas, .vega-embed svg').length;
    const now = performance.now();
    if (ok && idle && charts >= minCharts && now - window.__lastDraw > quiet && now - seen > quiet) {
      return {end: performance.timeOrigin + Math.max(window.__lastDraw, seen), metric: value, charts,
              draws: window.__draws, search: location.search, action: window.__action,
              origin: performance.timeOrigin};
    }
  }
  return null;
}"""

EPOCH_NOW = "performance.timeOrigin + performance.now()"


@dataclass
class Sample:
    seconds: float
    ws_first: float  # from the action to the first websocket message of the run
    ws_seconds: float  # from the action to the last websocket message of the run
    ws_bytes: int
    ws_messages: int
    note: str = ""


class Wire:
    """The websocket messages the page receives, as the network saw them (Chrome's DevTools protocol): (epoch ms,
    bytes). The protocol's clock is mapped to the epoch with a request's ``wallTime``."""

    def __init__(self, page: Page):
        self.frames: list[tuple[float, int]] = []
        self.offset: float | None = None  # epoch seconds - protocol seconds
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.on("Network.requestWillBeSent", self._request)
        self.cdp.on("Network.webSocketFrameReceived", self._frame)
        self.cdp.send("Network.enable")

    def _request(self, params: dict) -> None:
        if self.offset is None and "wallTime" in params:
            self.offset = params["wallTime"] - params["timestamp"]

    def _frame(self, params: dict) -> None:
        data = params["response"]["payloadData"]
        size = len(data) * 3 // 4 if params["response"].get("opcode") == 2 else len(data)  # binary: base64
        self.frames.append((params["timestamp"], size))

    def between(self, t0: float, t1: float) -> tuple[float, float, int, int]:
        """Seconds from ``t0`` to the first and to the last message before ``t1`` (epoch ms), their bytes and
        number."""
        offset = self.offset if self.offset is not None else time.time() - time.monotonic()
        got = [((t + offset) * 1000.0, n) for t, n in self.frames]
        got = [(t, n) for t, n in got if t0 <= t <= t1 + 5]
        if not got:
            return 0.0, 0.0, 0, 0
        times = [t for t, _ in got]
        return (min(times) - t0) / 1000.0, (max(times) - t0) / 1000.0, sum(n for _, n in got), len(got)


class Profiler:
    """The main thread's CPU time by script, sampled during the timed actions only (``attach`` it to a page)."""

    def __init__(self) -> None:
        self.cdp = None
        self.self_ms: dict[str, float] = defaultdict(float)
        self.functions: dict[str, float] = defaultdict(float)
        self.actions = 0

    def attach(self, page: Page) -> None:
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("Profiler.enable")
        self.cdp.send("Profiler.setSamplingInterval", {"interval": 200})

    def start(self) -> None:
        if self.cdp is not None:
            self.cdp.send("Profiler.start")

    def stop(self) -> None:
        if self.cdp is None:
            return
        self.actions += 1
        profile = self.cdp.send("Profiler.stop")["profile"]
        nodes = {n["id"]: n for n in profile["nodes"]}
        deltas = profile.get("timeDeltas", [])
        for sample, dt in zip(profile.get("samples", []), [*deltas[1:], 0], strict=False):
            frame = nodes[sample]["callFrame"]
            url = frame.get("url", "")
            name = url.rsplit("/", 1)[-1].split(".")[0] if url else f"({frame.get('functionName') or 'native'})"
            self.self_ms[name] += dt / 1000.0
            self.functions[f"{name}:{frame.get('functionName') or '(anonymous)'}"] += dt / 1000.0


def _metric(page: Page) -> str | None:
    return page.evaluate("""() => {
      const m = [...document.querySelectorAll('[data-testid=stMain] [data-testid=stMetric]')]
        .find(e => e.innerText.trim().startsWith('per-step rate'));
      const v = m && m.querySelector('[data-testid=stMetricValue]');
      return v ? v.innerText.trim() : null; }""")


def _done(page: Page, cond: dict, min_charts: int, timeout_s: float = 60.0) -> dict:
    got = page.evaluate(WAIT_DONE, [cond, min_charts, QUIET_MS, timeout_s * 1000])
    if got is None:
        state = page.evaluate("""() => ({metric: [...document.querySelectorAll('[data-testid=stMetricValue]')]
            .map(e => e.innerText).slice(0, 1), search: location.search.slice(0, 200),
            errors: [...document.querySelectorAll('[data-testid=stException]')].map(e => e.innerText.slice(0, 300)),
            charts: document.querySelectorAll('.vega-embed canvas, .vega-embed svg').length,
            state: document.querySelector('[data-test-script-state]')?.getAttribute('data-test-script-state')})""")
        raise TimeoutError(f"the page did not settle within {timeout_s:g} s: waiting for {cond}, it shows {state}")
    return got


def _measure(page: Page, wire: Wire, act, cond: dict, min_charts: int, start: str = "action") -> Sample:
    """Time ``act()``: from the action as the page saw it (``start='action'``: the key or mouse press), the start of
    the page load (``'navigation'``: a reload), or the moment this script sent it (``'sent'``: a click that loads
    another page) until the page is done."""
    sent = time.time() * 1000.0
    PROFILER.start()
    act()
    got = _done(page, cond, min_charts)
    PROFILER.stop()
    t0 = {"action": got["action"] or sent, "navigation": got["origin"], "sent": sent}[start]
    first, last, ws_bytes, ws_n = wire.between(t0, got["end"])
    return Sample((got["end"] - t0) / 1000.0, first, last, ws_bytes, ws_n)


def _open(page: Page, url: str, min_charts: int) -> None:
    page.goto(url, timeout=120_000)
    _done(page, {"before": None}, min_charts, 120)


class Action:
    """One kind of action on one page: ``setup`` once, then ``step(i)`` for the i-th of ``n`` timed repeats."""

    def __init__(self, page: Page, wire: Wire, base: str, n: int):
        self.page, self.wire, self.base, self.n = page, wire, base, n

    def setup(self) -> None:
        _open(self.page, self.base + "/", 7)

    def step(self, i: int) -> Sample:
        raise NotImplementedError


class Reload(Action):
    def setup(self) -> None:
        super().setup()
        self.page.reload()  # the first reload fills the browser's cache of the page's scripts
        _done(self.page, {"before": None}, 7, 120)

    def step(self, i: int) -> Sample:
        return _measure(self.page, self.wire, self.page.reload, {"before": None}, 7, start="navigation")


class SliderStep(Action):
    """ArrowRight on the gain slider's thumb for the first half of the repeats (gains the server has not computed),
    then ArrowLeft back (cached on the server)."""

    def setup(self) -> None:
        _open(self.page, self.base + "/?gain=0.5", 7)

    def step(self, i: int) -> Sample:
        page = self.page
        key = "ArrowRight" if i < (self.n + 1) // 2 else "ArrowLeft"
        gain = page.evaluate("new URLSearchParams(location.search).get('gain')")
        before = _metric(page)
        thumb = page.locator("[data-testid=stSidebar] [data-testid=stSlider]", has_text="Gain").locator(
            "input[type=range], [role=slider]").first
        thumb.focus()
        sample = _measure(page, self.wire, lambda: thumb.press(key), {"before": before, "changed": ["gain", gain]}, 7)
        sample.note = "new gain" if key == "ArrowRight" else "cached"
        return sample


class PresetPick(Action):
    """The vanilla cell's presets in turn (all 7 charts each): new to the server in the first round, then cached."""

    presets = tuple(p for p in PRESETS if p.config.cell == "rnn")

    def step(self, i: int) -> Sample:
        page, p = self.page, self.presets[i % len(self.presets)]
        # the URL and the verdict change (the settings themselves are the app's, which may differ from this checkout's)
        cond = {"before": _metric(page), "search": page.evaluate("location.search")}
        page.locator(PRESET_MENU).first.click()
        option = page.get_by_role("option", name=p.name, exact=True)
        option.wait_for()
        sample = _measure(page, self.wire, option.click, cond, 7)
        sample.note = "new" if i < len(self.presets) else "cached"
        return sample


class MapClick(Action):
    """A click on a cell of the default regime map (a different cell each time), until the Explorer shows it."""

    def setup(self) -> None:
        pass

    def step(self, i: int) -> Sample:
        page = self.page
        page.goto(self.base + "/regime_map", timeout=120_000)
        page.wait_for_selector(CHARTS, timeout=120_000)
        page.wait_for_timeout(1500)
        box = page.locator(".vega-embed").first.bounding_box()
        x = box["x"] + box["width"] * (0.35 + 0.5 * i / max(1, self.n - 1))
        y = box["y"] + 30 + (i % 3) * 20  # the first rows

        def click() -> None:
            with page.expect_navigation(timeout=60_000):  # Vega opens the cell's link: a new page load
                page.mouse.click(x, y)

        return _measure(page, self.wire, click, {"before": None, "changed": ["axis", "activation"]}, 7, start="sent")


class MapToExplorerLink(MapClick):
    """Diagnostic: from the same map to the Explorer by the sidebar's page link, Streamlit's navigation inside the
    page (no page load): what a map cell would cost if its click switched pages on the server instead of loading a
    link."""

    def step(self, i: int) -> Sample:
        page = self.page
        page.goto(self.base + "/regime_map", timeout=120_000)
        page.wait_for_selector(CHARTS, timeout=120_000)
        page.wait_for_timeout(1500)
        link = page.locator("[data-testid=stSidebar] a", has_text="Explorer").first
        return _measure(page, self.wire, link.click, {"before": None, "changed": ["axis", "activation"]}, 7)


PROFILER = Profiler()  # the profiler of the action being measured (attached to its page with --profile)
BENCHES: dict[str, type[Action]] = {"reload": Reload, "slider": SliderStep, "preset": PresetPick, "map": MapClick,
                                    "map-link": MapToExplorerLink}


def chart_table(app: Path) -> None:
    """What each of the Explorer's charts sends: Vega-Lite spec size, datasets' rows and bytes, marks."""
    import pyarrow as pa
    from streamlit.testing.v1 import AppTest
    sys.path.insert(0, str(app))  # the app's own ui and rnn_core
    for name in [m for m in sys.modules if m.split(".")[0] in ("ui", "rnn_core")]:
        del sys.modules[name]
    os.environ["RNN_LAB_WARM"] = "0"  # this run's charts, not the presets' built in the background beside it
    at = AppTest.from_file(str(app / "dashboard.py"), default_timeout=120).run()
    print("\nThe Explorer's charts at the default settings (server side, AppTest):")
    print(f"  {'chart':<34} {'spec kB':>8} {'rows':>7} {'data kB':>8}  marks")
    total = [0, 0, 0]
    for el in at.get("arrow_vega_lite_chart") + at.get("vega_lite_chart"):
        proto = el.proto
        spec = json.loads(proto.spec)
        rows = nbytes = 0
        for d in proto.datasets:
            nbytes += len(d.data.data)
            rows += pa.ipc.open_stream(d.data.data).read_all().num_rows
        marks = sorted({m if isinstance(m, str) else m.get("type") for m in _marks(spec)})
        title = _title(spec)
        total[0] += len(proto.spec)
        total[1] += rows
        total[2] += nbytes
        print(f"  {title:<34} {len(proto.spec) / 1e3:8.1f} {rows:7d} {nbytes / 1e3:8.1f}  {', '.join(marks)}")
    print(f"  {'total':<34} {total[0] / 1e3:8.1f} {total[1]:7d} {total[2] / 1e3:8.1f}")


def _marks(spec: Any) -> list:
    out = []
    if isinstance(spec, dict):
        if "mark" in spec:
            out.append(spec["mark"])
        for v in spec.values():
            out += _marks(v)
    elif isinstance(spec, list):
        for v in spec:
            out += _marks(v)
    return out


def _title(spec: dict) -> str:
    enc = spec.get("encoding") or next((s.get("encoding") for k in ("layer", "hconcat", "vconcat")
                                        for s in spec.get(k, []) if isinstance(s, dict) and s.get("encoding")), {})
    x = enc.get("x", {}).get("field", "?") if isinstance(enc.get("x"), dict) else "?"
    y = enc.get("y", {}).get("field", "?") if isinstance(enc.get("y"), dict) else "?"
    return f"{y} against {x}"[:34]


def summary(name: str, samples: list[Sample]) -> str:
    s = [x.seconds for x in samples]
    med = statistics.median(s)
    ws = statistics.median(x.ws_seconds for x in samples)
    first = statistics.median(x.ws_first for x in samples)
    kb = statistics.median(x.ws_bytes for x in samples) / 1e3
    msgs = statistics.median(x.ws_messages for x in samples)
    notes = defaultdict(list)
    for x in samples:
        if x.note:
            notes[x.note].append(x.seconds)
    split = "; ".join(f"{k} {statistics.median(v):.2f}" for k, v in notes.items()) if len(notes) > 1 else ""
    target = TARGETS.get(name)
    split = f"; {split}" if split else ""
    return (f"  {name:<7} median {med:5.2f} s (min {min(s):.2f}, max {max(s):.2f}; n={len(s)}{split})"
            f"  websocket {first:.2f}-{ws:.2f} s, {kb:.0f} kB in {msgs:.0f} messages; after it {med - ws:.2f} s"
            + (f"  target <= {target:g} s: {'PASS' if med <= target else 'MISS'}" if target else ""))


def main() -> int:
    global PROFILER
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--only", nargs="+", choices=list(BENCHES), default=list(TARGETS))
    parser.add_argument("--profile", action="store_true", help="a CPU profile of the browser's main thread")
    parser.add_argument("--charts", action="store_true", help="what each chart sends (AppTest)")
    parser.add_argument("--app", type=Path, nargs="+", default=[ROOT],
                        help="the folder(s) whose dashboard.py a server runs (default: this checkout); with several "
                             "(e.g. copies of two commits), their repeats are interleaved: before and after in one run")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"no Chromium at {CHROMIUM} (apt-get install chromium; never `playwright install`)", file=sys.stderr)
        return 2
    load = os.getloadavg()[0]
    apps = [a.resolve() for a in args.app]
    servers = [Server(free_port(), cwd=a) for a in apps]
    results: dict[tuple[str, int], list[Sample]] = defaultdict(list)
    profiles: dict[tuple[str, int], Profiler] = {}
    failures: list[str] = []
    t_start = time.time()
    try:
        for server in servers:
            server.start()
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for name in args.only:
                actions = []
                for k, server in enumerate(servers):
                    context = browser.new_context(viewport=VIEWPORT)
                    context.add_init_script(DRAW_HOOK)
                    page = context.new_page()
                    action = BENCHES[name](page, Wire(page), server.url, args.repeats)
                    action.setup()
                    profiles[name, k] = Profiler()
                    if args.profile:
                        profiles[name, k].attach(page)
                    actions.append(action)
                for i in range(args.repeats):  # interleaved: every app sees the same moments of a shared machine
                    for k, action in enumerate(actions):
                        PROFILER = profiles[name, k]
                        try:
                            results[name, k].append(action.step(i))
                        except TimeoutError as err:  # counted and shown, not timed
                            failures.append(f"[{k}] {name} #{i}: {err}")
                            PROFILER.stop()
                            action.setup()
                for action in actions:
                    action.page.context.close()
            browser.close()
    finally:
        for server in servers:
            tracebacks = server.log_text().count("Traceback (most recent call last)")
            server.stop()
            if tracebacks:
                print(f"server in {server.cwd}: {tracebacks} tracebacks\n{server.log_tail(2000)}")
            server.remove_log()
    print(f"RNN Gradient Lab in Chromium at {VIEWPORT['width']}x{VIEWPORT['height']}, {args.repeats} repeats in "
          f"{time.time() - t_start:.0f} s ({os.cpu_count()} CPUs, load average {load:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after)")
    for k, app in enumerate(apps):
        if len(apps) > 1:
            print(f"[{k}] {app}")
        for name in args.only:
            if results[name, k]:
                print(summary(name, results[name, k]))
    for failure in failures:
        print(f"  FAILED {failure}")
    if args.profile:
        print("Where the browser's main thread spent each action (ms per action, mean, from a sampling CPU profile):")
        for (name, k), prof in profiles.items():
            n = max(1, prof.actions)
            idle = prof.self_ms.pop("((idle))", 0.0)
            busy = sum(prof.self_ms.values())
            top = sorted(prof.self_ms.items(), key=lambda kv: -kv[1])[:9]
            print(f"  [{k}] {name}: busy {busy / n:.0f} ms, idle {idle / n:.0f} ms; by script: "
                  + ", ".join(f"{s} {v / n:.0f}" for s, v in top))
            funcs = sorted(((f, v) for f, v in prof.functions.items() if "(idle)" not in f), key=lambda kv: -kv[1])
            print("    top functions: " + ", ".join(f"{f} {v / n:.0f}" for f, v in funcs[:8]))
    if args.charts:
        for app in apps:
            chart_table(app)
    return 0 if not failures and all(statistics.median(x.seconds for x in s) <= TARGETS.get(n, math.inf)
                                     for (n, _), s in results.items()) else 1


if __name__ == "__main__":
    sys.exit(main())
