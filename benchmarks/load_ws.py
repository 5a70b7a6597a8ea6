"""Load test of the dashboard through Streamlit's own websocket protocol: the server's latency, without browsers.

Starts ``streamlit run dashboard.py`` on a free localhost port like ``load_test.py`` and opens N sessions, each a
plain websocket client of ``ws://127.0.0.1:PORT/_stcore/stream`` (the endpoint the browser uses) speaking the
browser's protobuf messages. Each session opens the Explorer, then for a fixed time picks a preset from the sidebar's
"Preset" menu again and again, and measures the time from sending the pick to the end of the script run it caused.
No page is drawn: the figures are the server's (script runs, caching, protobuf and websocket traffic), which the
browser load test cannot show on a small machine where the browsers' drawing of the Vega charts takes the CPU.

The protocol, as the browser speaks it (BackMsg up, ForwardMsg down, one protobuf per binary frame):

* open a page: ``BackMsg.rerun_script`` = ``ClientState(query_string, page_name="explorer", context_info)``, no widget
  state; the server answers with ``new_session``, ``navigation`` (whose ``page_script_hash`` names the page in later
  requests), ``delta`` messages (one per element, ``new_element`` with the element's proto; ``ref_hash`` for one the
  client said it has cached), ``page_info_changed`` (the new URL query string) and ``script_finished``.
* use a widget: another ``rerun_script`` with the page's hash, the current query string and ``widget_states``: one
  ``WidgetState`` per widget drawn by the last run, holding the value the browser shows (the server's when the element
  has ``set_value``, else the one held before, else the element's default), with the changed widget's new value, plus
  the hashes of the cached messages (``cached_message_hashes``, expired after ``max_cached_message_age`` runs).

After each pick the session checks what the run sent against the preset's settings computed here with ``rnn_core``
(as ``load_test.py`` does): the URL's query string, the verdict headline, its caption, the per-step rate metric, the
charts, and that no exception element arrived. Another preset's settings in a session's answer would be sessions
mixing through the shared cache. The server's memory (RSS, children included) is sampled every 0.5 s; the RSS before
and after opening the sessions gives the memory per session.

    python benchmarks/load_ws.py                            # 20 sessions x 60 s
    python benchmarks/load_ws.py --sessions 4 --seconds 20
    python benchmarks/load_ws.py --think 10                 # ~10 s between a session's picks, like people reading

Targets: p95 latency < 3 s, peak server RSS < 1024 MB, no errors (exceptions, failed runs, timeouts over 20 s, lost
connections), no mismatches. Localhost only; every wait is bounded by the duration and a timeout per step.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from load_test import (
    LIMIT_S,
    MIN_CHARTS,
    RSS_SOURCE,
    Expected,
    Picks,
    RssSampler,
    Server,
    _descendants,
    cpu_seconds,
    expected,
    free_port,
    latency_summary,
    preset_table,
    print_verdicts,
    rss_bytes,
    which_preset,
)
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.NumberInput_pb2 import NumberInput
from streamlit.proto.Slider_pb2 import Slider
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException
from websockets.typing import Subprotocol

from rnn_core import Config

STEP_TIMEOUT_S = 20.0  # how long a session waits for the end of one run (--step-timeout)
PAGE = "explorer"  # the page's url path: what the browser sends as page_name for /explorer
PRESET_LABEL = "Preset"  # the sidebar menu a session picks from
RATE_LABEL = "per-step rate"


# ---------------------------------------------------------------------------------------------------------------------
# One script run, as the server sent it
# ---------------------------------------------------------------------------------------------------------------------

@dataclass
class Run:
    """The ForwardMsgs of one script run, from ``new_session`` to ``script_finished``."""

    elements: list[tuple[tuple[int, ...], Element]] = field(default_factory=list)  # (delta path, element), in order
    query_string: str | None = None  # the last page_info_changed of the run (None: the URL did not change)
    page_script_hash: str = ""  # from the navigation message: names the page in the next rerun_script
    status: int | None = None  # ForwardMsg.ScriptFinishedStatus; None while the run is going on
    messages: int = 0
    bytes: int = 0
    refs: int = 0  # elements sent by reference (ref_hash) to the client's cache

    @property
    def finished(self) -> bool:
        return self.status is not None and self.status != ForwardMsg.FINISHED_EARLY_FOR_RERUN

    def of_type(self, kind: str) -> list[Any]:
        """The protos of this run's elements of one type ('markdown', 'metric', 'selectbox', ...), in order."""
        return [getattr(el, kind) for _, el in self.elements if el.WhichOneof("type") == kind]

    def metric(self, label: str) -> str | None:
        return next((m.body for m in self.of_type("metric") if m.label == label), None)

    def problems(self, e: Expected, table: list[Expected]) -> tuple[list[str], list[str]]:
        """(errors, mismatches) of this run against what the Explorer must show for ``e``."""
        errors = [f"exception: {x.type}: {x.message[:120]}" for x in self.of_type("exception")]
        if self.status != ForwardMsg.FINISHED_SUCCESSFULLY:
            errors.append(f"script_finished status {self.status}")
        mismatches = []
        shown = None if self.query_string is None else which_preset("?" + self.query_string, [e, *table])
        if shown is not e:
            mismatches.append(f"URL shows {shown.slug if shown else (self.query_string or '(unchanged)')[:80]!r}")
        bodies = [m.body for m in self.of_type("markdown")]
        if not any(b.startswith("## :") and e.regime in b for b in bodies):
            mismatches.append(f"no {e.regime!r} headline in {[b for b in bodies if b.startswith('## :')]}")
        if e.caption not in bodies:
            mismatches.append(f"no caption {e.caption!r}")
        if (rate := self.metric(RATE_LABEL)) != e.rate:
            mismatches.append(f"{RATE_LABEL} {rate!r} instead of {e.rate!r}")
        if (charts := len(self.of_type("vega_lite_chart"))) < MIN_CHARTS:
            mismatches.append(f"{charts} charts, expected at least {MIN_CHARTS}")
        return errors, mismatches


# ---------------------------------------------------------------------------------------------------------------------
# The browser's side of the protocol
# ---------------------------------------------------------------------------------------------------------------------

def browser_widget_state(kind: str, w: Any, held: WidgetState | None) -> WidgetState | None:
    """The state the browser holds for widget ``w`` (a ``kind`` element's proto) after a run drew it.

    As Streamlit's frontend does: the value the server sent if it set one (``set_value``), else the one the browser
    held before, else the widget's default. Values are encoded as the browser encodes them (a select slider by its
    formatted option labels, a slider as a double array, ...). None: no value (a selectbox with nothing chosen).
    Widgets the Explorer does not draw, and buttons (sent only when clicked), keep what was held.
    """
    if held is not None and not w.set_value:
        return held
    state = WidgetState(id=w.id)
    if kind in ("selectbox", "radio"):
        if w.HasField("raw_value"):
            state.string_value = w.raw_value
        elif not w.set_value and w.HasField("default"):
            state.string_value = w.options[w.default]
        else:
            return None
    elif kind == "slider" and w.type == Slider.SELECT_SLIDER:
        labels = list(w.raw_value) if w.set_value else [w.options[int(i)] for i in w.default]
        state.string_array_value.data.extend(labels)
    elif kind == "slider":
        state.double_array_value.data.extend(w.value if w.set_value else w.default)
    elif kind == "number_input":
        value = w.value if w.set_value and w.HasField("value") else w.default if w.HasField("default") else None
        if value is None:
            return None
        if w.data_type == NumberInput.INT:
            state.int_value = int(value)
        else:
            state.double_value = value
    elif kind == "text_input":
        state.string_value = w.value if w.set_value and w.HasField("value") else w.default
    else:
        return held
    return state


class ProtocolError(Exception):
    """The server sent something this client cannot follow (a reference to a message it does not have)."""


class Session:
    """One browser tab's worth of protocol: a websocket, the page's URL, its widgets' states and message cache."""

    def __init__(self, ws: ClientConnection, url: str):
        self.ws = ws
        self.context = {"timezone": "UTC", "timezone_offset": 0, "locale": "en-US", "url": url,
                        "is_embedded": False, "color_scheme": "light"}  # what Chromium sent here
        self.query_string = ""
        self.page_script_hash = ""  # empty until the first run names the page
        self.widgets: dict[str, WidgetState] = {}  # widget id -> the state the browser holds, for the last run's
        self.cache: dict[str, list] = {}  # message hash -> [ForwardMsg, runs since last used]
        self.max_age = 2  # the server's max_cached_message_age, from new_session
        self.preset_id: str | None = None  # the Preset menu's widget id, from the last run's deltas
        self.pending: Run | None = None  # a run whose end has not arrived yet (see receive_run)

    def client_state(self, change: WidgetState | None = None) -> ClientState:
        """The rerun request the browser sends: the page, its URL, every widget's state (with ``change``)."""
        cs = ClientState(query_string=self.query_string, page_script_hash=self.page_script_hash)
        if not self.page_script_hash:
            cs.page_name = PAGE
        states = dict(self.widgets)
        if change is not None:
            states[change.id] = change
        cs.widget_states.widgets.extend(states.values())
        cs.cached_message_hashes.extend(self.cache)
        for k, v in self.context.items():
            setattr(cs.context_info, k, v)
        return cs

    async def rerun(self, change: WidgetState | None, timeout: float) -> tuple[Run, float]:
        """Send a rerun request; the run it caused and the seconds from sending to its script_finished."""
        msg = BackMsg()
        msg.rerun_script.CopyFrom(self.client_state(change))
        start = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        run = await self.receive_run(start + timeout)
        return run, time.perf_counter() - start

    async def receive_run(self, deadline: float) -> Run:
        """Read ForwardMsgs until the run's script_finished (``TimeoutError`` at ``deadline``, perf_counter).

        A run cut by the deadline stays in ``self.pending``, and the next call goes on with it: checked after it ends,
        a run must be whole (its URL, headline and widgets arrive early).
        """
        run = self.pending or Run()
        self.pending = run
        while not run.finished:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError
            try:
                frame = await asyncio.wait_for(self.ws.recv(), remaining)
            except asyncio.TimeoutError:  # not the built-in TimeoutError before Python 3.11
                raise TimeoutError from None
            run.messages += 1
            run.bytes += len(frame)
            self._receive(ForwardMsg.FromString(frame), run)
        self.pending = None
        self._after_run(run)
        return run

    def _receive(self, msg: ForwardMsg, run: Run) -> None:
        kind = msg.WhichOneof("type")
        if kind == "ref_hash":  # an element the client has cached: the server sent only its hash
            if msg.ref_hash not in self.cache:
                raise ProtocolError(f"reference to a message not in the cache: {msg.ref_hash}")
            run.refs += 1
            entry = self.cache[msg.ref_hash]
            entry[1] = 0
            full = ForwardMsg()
            full.CopyFrom(entry[0])
            full.metadata.CopyFrom(msg.metadata)
            msg, kind = full, "delta"
        elif msg.metadata.cacheable:
            self.cache[msg.hash] = [msg, 0]
        if kind == "new_session":
            run.elements.clear()  # a run starts (an interrupted run's elements are replaced)
            self.max_age = msg.new_session.config.max_cached_message_age or self.max_age
        elif kind == "navigation":
            run.page_script_hash = msg.navigation.page_script_hash
        elif kind == "page_info_changed":
            run.query_string = msg.page_info_changed.query_string
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            run.elements.append((tuple(msg.metadata.delta_path), msg.delta.new_element))
        elif kind == "script_finished":
            run.status = msg.script_finished

    def _after_run(self, run: Run) -> None:
        """What the browser keeps from a run: its URL and page, the state of the widgets drawn, the message cache."""
        if run.query_string is not None:
            self.query_string = run.query_string
        self.page_script_hash = run.page_script_hash or self.page_script_hash
        widgets = {}
        for _, el in run.elements:
            kind = el.WhichOneof("type")
            w = getattr(el, kind)
            if not getattr(w, "id", ""):
                continue
            state = browser_widget_state(kind, w, self.widgets.get(w.id))
            if state is not None:
                widgets[w.id] = state
            if kind == "selectbox" and w.label == PRESET_LABEL:
                self.preset_id = w.id
        self.widgets = widgets  # widgets the run did not draw are gone from the page
        for entry in self.cache.values():
            entry[1] += 1
        for h in [h for h, entry in self.cache.items() if entry[1] > self.max_age]:
            del self.cache[h]

    def pick(self, preset_name: str) -> WidgetState:
        """The Preset menu's new state when the user chooses ``preset_name``."""
        if self.preset_id is None:
            raise ProtocolError("the last run drew no Preset menu")
        return WidgetState(id=self.preset_id, string_value=preset_name)


# ---------------------------------------------------------------------------------------------------------------------
# The load test
# ---------------------------------------------------------------------------------------------------------------------

@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    picks: int = 0
    timeouts: int = 0
    exceptions: list[str] = field(default_factory=list)  # exception elements, failed runs
    lost: list[str] = field(default_factory=list)  # connections closed, protocol errors
    load_errors: list[str] = field(default_factory=list)  # a session could not open the page
    mismatches: list[str] = field(default_factory=list)
    per_session: dict[int, int] = field(default_factory=dict)
    run_bytes: list[int] = field(default_factory=list)
    run_messages: list[int] = field(default_factory=list)
    run_refs: list[int] = field(default_factory=list)

    @property
    def late(self) -> int:
        """Picks that completed after more than LIMIT_S (possible with a longer --step-timeout)."""
        return sum(t > LIMIT_S for t in self.latencies)

    @property
    def errors(self) -> int:
        return self.timeouts + self.late + len(self.exceptions) + len(self.lost) + len(self.load_errors)


async def open_session(url: str, i: int, stats: Stats, default: Expected, table: list[Expected]) -> Session | None:
    """Connect and open the Explorer, as a browser does for ``/explorer``; None if that failed."""
    try:
        ws = await connect(f"{url.replace('http', 'ws', 1)}/_stcore/stream", subprotocols=[Subprotocol("streamlit")],
                           max_size=None, ping_interval=None, open_timeout=60)
    except (OSError, WebSocketException, TimeoutError) as err:
        stats.load_errors.append(f"session {i}: connect: {err!r}")
        return None
    session = Session(ws, f"{url}/{PAGE}")
    try:
        run, _ = await session.rerun(None, 120.0)
        errors, mismatches = run.problems(default, table)
        if session.preset_id is None:
            errors.append("no Preset menu")
    except (TimeoutError, WebSocketException, ProtocolError) as err:
        errors, mismatches = [f"{type(err).__name__} {err}"], []
    if errors or mismatches:
        stats.load_errors.append(f"session {i}: first load: {'; '.join(errors + mismatches)[:300]}")
        await ws.close()
        return None
    return session


async def run_session(i: int, session: Session, table: list[Expected], start: asyncio.Event, deadline_box: list[float],
                      stats: Stats, think: float) -> None:
    """Pick presets until the deadline; record each pick's latency and what was wrong with its run."""
    picks = Picks(i, table, deadline_box, think)
    await start.wait()
    while (e := await picks.next()) is not None:
        stats.picks += 1
        try:
            run, latency = await session.rerun(session.pick(e.name), STEP_TIMEOUT_S)
        except TimeoutError:
            stats.timeouts += 1
            try:  # wait for the slow run to end (and check it for mixing) before the next pick
                run, latency = await session.receive_run(time.perf_counter() + STEP_TIMEOUT_S), math.inf
            except (TimeoutError, WebSocketException, ProtocolError) as err:
                stats.lost.append(f"session {i}: no end of a run after {2 * STEP_TIMEOUT_S:g} s ({err!r}); closed")
                break
        except (WebSocketException, ProtocolError) as err:
            stats.lost.append(f"session {i}: {type(err).__name__}: {err}")
            break
        errors, mismatches = run.problems(e, table)
        stats.exceptions += [f"session {i}, {e.slug}: {x}" for x in errors]
        stats.mismatches += [f"session {i}, picked {e.slug!r}: {x}" for x in mismatches]
        if math.isfinite(latency):
            stats.latencies.append(latency)
        stats.run_bytes.append(run.bytes)
        stats.run_messages.append(run.messages)
        stats.run_refs.append(run.refs)
        picks.current = which_preset("?" + session.query_string, table)
    stats.per_session[i] = picks.done
    await session.ws.close()


def _mb(n: float) -> float:
    return n / 2**20


async def load_test(sessions: int, seconds: float, think: float = 0.0) -> int:
    table = preset_table()
    default = expected(Config(), "default", "default")
    load_before = os.getloadavg()[0]  # the machine is shared: say how busy it was
    server = Server(free_port())
    t_setup = time.perf_counter()
    server.start()
    pid = server.proc.pid
    sampler = RssSampler(pid)
    sampler.start()
    stats = Stats()
    opened: list[Session] = []
    try:
        await asyncio.sleep(1.0)
        rss_idle = rss_bytes(pid)
        # the first session pays for the imports and the first computation: the others' cost is the sessions'
        first = await open_session(server.url, 0, stats, default, table)
        rss_first = rss_bytes(pid)
        opened = [first] if first else []
        for k in range(1, sessions, 4):  # a few at a time, like the browser test
            got = await asyncio.gather(*(open_session(server.url, i, stats, default, table)
                                         for i in range(k, min(sessions, k + 4))))
            opened += [s for s in got if s is not None]
        await asyncio.sleep(1.0)
        rss_open = rss_bytes(pid)
        setup = time.perf_counter() - t_setup

        start, deadline_box = asyncio.Event(), [0.0]
        tasks = [asyncio.create_task(run_session(i, s, table, start, deadline_box, stats, think))
                 for i, s in enumerate(opened)]
        t0 = time.monotonic()
        cpu0, own0 = cpu_seconds(_descendants(pid)), time.process_time()
        deadline_box[0] = t0 + seconds
        start.set()
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=seconds + 4 * STEP_TIMEOUT_S + 60)
        elapsed = max(time.monotonic() - t0, 1e-6)
        cpu_server, cpu_client = cpu_seconds(_descendants(pid)) - cpu0, time.process_time() - own0
    finally:
        for s in opened:
            await s.ws.close()
        sampler.stop()
        server.stop()
    tracebacks = server.log_text().count("Traceback (most recent call last)")

    lat, (p50, p95, pmax), fmt = latency_summary(stats.latencies, stats.timeouts, STEP_TIMEOUT_S)

    peak_mb = _mb(sampler.peak)
    n_open = len(opened)
    per_session = _mb(rss_open - rss_idle) / n_open if n_open else math.nan
    marginal = _mb(rss_open - rss_first) / (n_open - 1) if n_open > 1 else math.nan
    rows = [
        ("sessions", f"{sessions} ({n_open} opened)"),
        ("duration", f"{elapsed:.1f} s measured (asked {seconds:g} s; setup {setup:.1f} s)"),
        ("picks done", f"{stats.picks} (per session min {min(stats.per_session.values(), default=0)}, "
                       f"max {max(stats.per_session.values(), default=0)}; {stats.picks / elapsed:.1f} per s)"),
        ("latency p50/p95/max", f"{fmt(p50)} / {fmt(p95)} / {fmt(pmax)} s (over {len(lat)} picks: "
                                f"{len(stats.latencies)} completed, {stats.timeouts} timed out)"),
        ("errors", f"{stats.errors} (exceptions/failed runs {len(stats.exceptions)}, timeouts > {LIMIT_S:g} s "
                   f"{stats.timeouts + stats.late}, lost connections {len(stats.lost)}, first load "
                   f"{len(stats.load_errors)}; server tracebacks {tracebacks})"),
        ("mismatches", str(len(stats.mismatches))),
        ("traffic per pick", f"median {statistics.median(stats.run_messages or [0]):.0f} messages "
                             f"({statistics.median(stats.run_refs or [0]):.0f} by reference to the client's cache), "
                             f"{statistics.median(stats.run_bytes or [0]) / 1e3:.0f} kB, server to client"),
        ("CPU in the window", f"server {cpu_server:.0f} s ({cpu_server / elapsed:.0%} of one core), this client "
                              f"{cpu_client:.0f} s ({cpu_client / elapsed:.0%}), on {os.cpu_count()} CPUs"),
        ("peak RSS", f"{peak_mb:.0f} MB (server process tree, {RSS_SOURCE}, {len(sampler.samples)} samples every "
                     f"0.5 s; at the end {_mb(sampler.samples[-1]) if sampler.samples else 0:.0f} MB)"),
        ("RSS per session", f"{per_session:.1f} MB = ({_mb(rss_open):.0f} MB with {n_open} sessions open - "
                            f"{_mb(rss_idle):.0f} MB idle) / {n_open}; without the first session's imports and "
                            f"first computation ({_mb(rss_first):.0f} MB after it): {marginal:.1f} MB"),
    ]
    print(f"RNN Gradient Lab websocket load test: {sessions} sessions x {seconds:g} s"
          f"{f', think time ~{think:g} s' if think else ''} on {server.url} (Streamlit's protocol, no browser; "
          f"{os.cpu_count()} CPUs, load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after)")
    return print_verdicts(rows, lat, p95, peak_mb, stats.errors, stats.mismatches,
                          stats.load_errors + stats.lost + stats.exceptions, tracebacks, server)


def main() -> int:
    global STEP_TIMEOUT_S
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=20, help="concurrent sessions (default 20)")
    parser.add_argument("--seconds", type=float, default=60.0, help="duration of the measured window (default 60)")
    parser.add_argument("--think", type=float, default=0.0,
                        help="mean pause in seconds between a session's picks (default 0: pick again at once)")
    parser.add_argument("--step-timeout", type=float, default=STEP_TIMEOUT_S,
                        help=f"seconds a session waits for the end of one run (default {STEP_TIMEOUT_S:g}); over "
                             f"{LIMIT_S:g} s a pick still counts as an error")
    args = parser.parse_args()
    if not 1 <= args.sessions <= 200 or not 1 <= args.seconds <= 600:
        parser.error("--sessions must be in 1..200 and --seconds in 1..600 (a shared machine)")
    STEP_TIMEOUT_S = max(LIMIT_S, min(300.0, args.step_timeout))
    return asyncio.run(load_test(args.sessions, args.seconds, args.think))


if __name__ == "__main__":
    sys.exit(main())
