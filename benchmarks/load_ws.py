"""Load test of the dashboard through Streamlit's own websocket protocol: the server's latency, without browsers.

Starts ``streamlit run dashboard.py`` on a free localhost port like ``load_test.py`` and opens N sessions, each a
plain websocket client of ``ws://127.0.0.1:PORT/_stcore/stream`` (the endpoint the browser uses) speaking the
browser's protobuf messages. Each session opens the Explorer, then for a fixed time picks a preset from the sidebar's
"Preset" menu again and again, and measures the time from sending the pick to the end of the script run it caused.
No page is drawn: the figures are the server's (script runs, caching, protobuf and websocket traffic), which the
browser load test cannot show on a small machine where the browsers' drawing of the Vega charts takes the CPU.

The protocol, as the browser speaks it (BackMsg up, ForwardMsg down, one protobuf per binary frame):

* open a page: ``BackMsg.rerun_script`` = ``ClientState(query_string, page_name="", context_info)`` (the root, the
  Explorer), no widget state; the server answers with ``new_session``, ``navigation`` (whose ``page_script_hash``
  names the page in later requests), ``delta`` messages (one per element, ``new_element`` with the element's proto;
  ``ref_hash`` for one the client said it has cached), ``page_info_changed`` (the new URL query string) and
  ``script_finished``.
* use a widget: another ``rerun_script`` with the page's hash, the current query string and ``widget_states``: one
  ``WidgetState`` per widget drawn by the last run, holding the value the browser shows (the server's when the element
  has ``set_value``, else the one held before, else the element's default), with the changed widget's new value, plus
  the hashes of the cached messages (``cached_message_hashes``, expired after ``max_cached_message_age`` runs).

With ``--mix workshop`` a session also steps the gain slider one or two notches and tries other seeds: settings the
server has to compute (its cache holds 64 views), checked the same way against the settings in the session's own URL,
which must be the ones it had with only the moved control changed. A session's first move waits a think time too.

After each pick the session checks what the run sent against the preset's settings computed here with ``rnn_core``
(as ``load_test.py`` does): the URL's query string, the verdict headline, its caption, the per-step rate metric, the
charts, and that no exception element arrived. Another preset's settings in a session's answer would be sessions
mixing through the shared cache. The server's memory (RSS, children included) is sampled every 0.5 s; the RSS before
and after opening the sessions gives the memory per session.

    python benchmarks/load_ws.py                            # 20 sessions x 60 s
    python benchmarks/load_ws.py --sessions 4 --seconds 20
    python benchmarks/load_ws.py --think 10                 # ~10 s between a session's picks, like people reading
    python benchmarks/load_ws.py --workshop                 # a room: 60 sessions, ~5 s think time, 120 s, p95 < 2 s,
                                                            # presets, gain slider steps and new seeds

Targets: p95 latency < 3 s, peak server RSS < 1024 MB, no errors (exceptions, failed runs, timeouts over 20 s, lost
connections), no mismatches. Localhost only; every wait is bounded by the duration and a timeout per step.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from load_test import (
    LIMIT_S,
    RSS_SOURCE,
    TARGET_P95_S,
    Expected,
    Picks,
    RssSampler,
    Server,
    _descendants,
    cpu_seconds,
    expected,
    free_port,
    latency_summary,
    percentile,
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

from rnn_core import Config, fast

STEP_TIMEOUT_S = 20.0  # how long a session waits for the end of one run (--step-timeout)
PAGE = ""  # the page's url path, what the browser sends as page_name: the Explorer is the root
GAIN_LABEL, SEED_LABEL = "Gain g", "Seed"  # the sidebar widgets a workshop session also moves
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
        if (charts := len(self.of_type("vega_lite_chart"))) < e.charts:
            mismatches.append(f"{charts} charts, expected at least {e.charts}")
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
        self.gain: Any = None  # the gain select slider's proto, from the last run (its id and option labels)
        self.seed: Any = None  # the seed number input's proto
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
        if change is not None:  # the browser now holds the moved value (unless the run sets another)
            self.widgets[change.id] = change
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
            elif kind == "slider" and w.label == GAIN_LABEL:
                self.gain = w
            elif kind == "number_input" and w.label == SEED_LABEL:
                self.seed = w
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

    def gain_step(self, steps: int) -> tuple[WidgetState, str]:
        """The gain slider ``steps`` options to the right (left if negative), as arrow keys move it; its new state and
        the option's label (the gain to 4 digits, as the slider shows it)."""
        if self.gain is None or self.gain.id not in self.widgets:
            raise ProtocolError("the last run drew no gain slider")
        labels = list(self.gain.options)
        now = list(self.widgets[self.gain.id].string_array_value.data)
        i = labels.index(now[0]) if now and now[0] in labels else 0
        j = min(len(labels) - 1, max(0, i + steps))
        if j == i:  # at an end: step the other way
            j = min(len(labels) - 1, max(0, i - steps))
        state = WidgetState(id=self.gain.id)
        state.string_array_value.data.append(labels[j])
        return state, labels[j]

    def set_seed(self, seed: int) -> WidgetState:
        if self.seed is None:
            raise ProtocolError("the last run drew no seed input")
        return WidgetState(id=self.seed.id, int_value=seed)

    def settings(self) -> dict[str, str]:
        """The settings in the page's URL."""
        return {k: v[-1] for k, v in parse_qs(self.query_string, keep_blank_values=True).items()}


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
    by_kind: dict[str, list[float]] = field(default_factory=dict)  # latencies per kind of move

    @property
    def late(self) -> int:
        """Picks that completed after more than LIMIT_S (possible with a longer --step-timeout)."""
        return sum(t > LIMIT_S for t in self.latencies)

    @property
    def errors(self) -> int:
        return self.timeouts + self.late + len(self.exceptions) + len(self.lost) + len(self.load_errors)


async def open_session(url: str, i: int, stats: Stats, default: Expected, table: list[Expected]) -> Session | None:
    """Connect and open the Explorer, as a browser does for the app's root; None if that failed."""
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


# What a workshop session does between reading pauses: pick a preset, step the gain slider a notch or two (new
# gains are computed on the server, the cache holds 64 views), or try another seed.
WORKSHOP_MOVES = {"preset": 0.5, "gain": 0.35, "seed": 0.15}
# The room of issue 13: 60 sessions, a mean think time of 5 s, on one server: p95 < 2 s, no errors, no mixing, < 1 GB
WORKSHOP = {"sessions": 60, "think": 5.0, "mix": "workshop", "seconds": 120.0, "target_p95": 2.0}
SEEDS = 40  # the seeds a workshop session tries (0..39)


class Expectations:
    """What the Explorer must show for a configuration, computed here once per configuration in one worker thread
    with BLAS on one thread (the event loop keeps timing the other sessions meanwhile, and this client takes at most
    one core from the server)."""

    def __init__(self, table: list[Expected]):
        self.known = {tuple(sorted(e.params.items())): e for e in table}
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="expected")

    async def of(self, settings: dict[str, str], kind: str) -> Expected:
        key = tuple(sorted((k, v) for k, v in settings.items() if k in Config.__dataclass_fields__))
        if key not in self.known:
            config = Config.from_dict(dict(key))
            self.known[key] = await asyncio.get_running_loop().run_in_executor(
                self.worker, expected, config, kind, kind)
        return self.known[key]


def _moved_only(before: dict[str, str], after: dict[str, str], name: str, shown: str) -> list[str]:
    """Mismatches of a move of field ``name``: the URL must keep every other setting and show the new value."""
    out = [f"{k} changed from {before.get(k)!r} to {v!r}" for k, v in after.items()
           if k != name and before.get(k) != v]
    if name == "gain":
        if f"{float(after.get('gain', 'nan')):.4g}" != shown.split()[0]:
            out.append(f"gain {after.get('gain')!r} in the URL, the slider was moved to {shown!r}")
    elif after.get(name) != shown:
        out.append(f"{name} {after.get(name)!r} in the URL instead of {shown!r}")
    return out


async def run_session(i: int, session: Session, table: list[Expected], start: asyncio.Event, deadline_box: list[float],
                      stats: Stats, think: float, mix: str = "presets", known: Expectations | None = None) -> None:
    """Move until the deadline (presets only, or the workshop's mix); record each move's latency and what was wrong
    with its run. With a think time, a session's first move comes after a pause too: people do not all click at once.
    """
    picks = Picks(i, table, deadline_box, think)
    known = known or Expectations(table)
    await start.wait()
    if think:
        await asyncio.sleep(picks.rng.uniform(0.0, think))
    while (e := await picks.next()) is not None:
        stats.picks += 1
        kind = "preset" if mix == "presets" else picks.rng.choices(list(WORKSHOP_MOVES),
                                                                   list(WORKSHOP_MOVES.values()))[0]
        before = session.settings()
        try:
            try:
                if kind == "gain":
                    change, shown = session.gain_step(picks.rng.choice((-2, -1, 1, 2)))
                elif kind == "seed":
                    seed = picks.rng.choice([s for s in range(SEEDS) if str(s) != before.get("seed")])
                    change, shown = session.set_seed(seed), str(seed)
                else:
                    change = session.pick(e.name)
            except ProtocolError:  # the page shows no such control (the LRU has no gain): pick a preset instead
                kind, change = "preset", session.pick(e.name)
            run, latency = await session.rerun(change, STEP_TIMEOUT_S)
        except TimeoutError:
            stats.timeouts += 1
            try:  # wait for the slow run to end (and check it for mixing) before the next move
                run, latency = await session.receive_run(time.perf_counter() + STEP_TIMEOUT_S), math.inf
            except (TimeoutError, WebSocketException, ProtocolError) as err:
                stats.lost.append(f"session {i}: no end of a run after {2 * STEP_TIMEOUT_S:g} s ({err!r}); closed")
                break
        except (WebSocketException, ProtocolError) as err:
            stats.lost.append(f"session {i}: {type(err).__name__}: {err}")
            break
        mismatches = []
        if kind != "preset":  # what this session asked for, then what its own URL's settings must show
            after = session.settings()
            mismatches = _moved_only(before, after, kind, shown)
            e = await known.of(after, kind)
        errors, more = run.problems(e, table)
        stats.exceptions += [f"session {i}, {e.slug}: {x}" for x in errors]
        stats.mismatches += [f"session {i}, {kind} {e.slug!r}: {x}" for x in mismatches + more]
        if math.isfinite(latency):
            stats.latencies.append(latency)
            stats.by_kind.setdefault(kind, []).append(latency)
        stats.run_bytes.append(run.bytes)
        stats.run_messages.append(run.messages)
        stats.run_refs.append(run.refs)
        picks.current = which_preset("?" + session.query_string, table)
    stats.per_session[i] = picks.done
    await session.ws.close()


def _mb(n: float) -> float:
    return n / 2**20


def start_py_spy(pid: int, seconds: float, out: str) -> subprocess.Popen:
    """Sample the server's Python stacks during the measured window (``py-spy``, collapsed stacks in ``out``)."""
    return subprocess.Popen(["py-spy", "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", "50",
                             "--format", "raw", "--output", out, "--nonblocking"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


APP_CODE = ("ui/", "pages/", "rnn_core/", "dashboard.py")


def py_spy_summary(path: str, n: int = 12) -> list[tuple[str, str]]:
    """Where the server's samples went: by the package of the innermost frame, and the heaviest functions of the
    app's own code (inclusive, so nested ones overlap), as shares of all samples."""
    own, leaf, total = defaultdict(int), defaultdict(int), 0
    for line in Path(path).read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = [_frame(f) for f in stack.split(";")]
        k = int(count)
        total += k
        leaf[_package(frames[-1][1])] += k
        for f in {f"{name} ({file})" for name, file in frames if file.startswith(APP_CODE)}:
            own[f] += k
    if not total:
        return [("py-spy", "no samples")]
    top = sorted(leaf.items(), key=lambda kv: -kv[1])[:8]
    rows = [("py-spy, innermost", ", ".join(f"{k} {v / total:.0%}" for k, v in top) + f" ({total} samples)")]
    rows += [("  app function", f"{v / total:5.1%}  {f}") for f, v in sorted(own.items(), key=lambda kv: -kv[1])[:n]]
    return rows


def _frame(text: str) -> tuple[str, str]:
    """``('analyze', 'rnn_core/analysis.py')`` from py-spy's ``analyze (rnn_core/analysis.py:126)``."""
    name, _, where = text.rpartition(" (")
    return name, where.rstrip(")").rsplit(":", 1)[0]


def _package(file: str) -> str:
    """'the app', 'streamlit', 'altair', 'numpy', ... or 'python' (the standard library) for a frame's file."""
    if file.startswith(APP_CODE):
        return "the app"
    return file.split("/", 1)[0] if "/" in file else "python"


async def load_test(sessions: int, seconds: float, think: float = 0.0, mix: str = "presets",
                    target_p95: float = TARGET_P95_S, py_spy: str | None = None) -> int:
    if fast.serial_blas.setter is not None:  # this client's own analyses: one core at most, like the server's
        fast.serial_blas.setter(1)
    table = preset_table()
    known = Expectations(table)
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
        tasks = [asyncio.create_task(run_session(i, s, table, start, deadline_box, stats, think, mix, known))
                 for i, s in enumerate(opened)]
        t0 = time.monotonic()
        cpu0, own0 = cpu_seconds(_descendants(pid)), time.process_time()
        deadline_box[0] = t0 + seconds
        spy = start_py_spy(pid, seconds, py_spy) if py_spy else None
        start.set()
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=seconds + 4 * STEP_TIMEOUT_S + 60)
        elapsed = max(time.monotonic() - t0, 1e-6)
        cpu_server, cpu_client = cpu_seconds(_descendants(pid)) - cpu0, time.process_time() - own0
        if spy is not None:
            spy.wait(timeout=60)
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
        *((f"  {kind}", f"p50/p95 {percentile(v, 50):.2f} / {percentile(v, 95):.2f} s over {len(v)}")
          for kind, v in sorted(stats.by_kind.items()) if mix != "presets"),
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
    if py_spy and Path(py_spy).exists():
        rows += py_spy_summary(py_spy)
    moves = "presets" if mix == "presets" else ", ".join(f"{k} {w:.0%}" for k, w in WORKSHOP_MOVES.items())
    print(f"RNN Gradient Lab websocket load test: {sessions} sessions x {seconds:g} s"
          f"{f', think time ~{think:g} s' if think else ''}, moves: {moves}, on {server.url} (Streamlit's protocol, "
          f"no browser; {os.cpu_count()} CPUs, load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after)")
    return print_verdicts(rows, lat, p95, peak_mb, stats.errors, stats.mismatches,
                          stats.load_errors + stats.lost + stats.exceptions, tracebacks, server, target_p95)


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
    parser.add_argument("--mix", choices=("presets", "workshop"), default="presets",
                        help="what sessions do: pick presets (default), or the workshop's mix of presets, gain "
                             "slider steps and seeds (new settings the server computes)")
    parser.add_argument("--target-p95", type=float, default=TARGET_P95_S,
                        help=f"the p95 latency to meet, in seconds (default {TARGET_P95_S:g})")
    parser.add_argument("--py-spy", metavar="FILE",
                        help="sample the server with py-spy during the window (collapsed stacks in FILE) and print "
                             "where its time went; py-spy takes ~20%% of a core itself: a diagnostic run, not one "
                             "for the latency figures")
    parser.add_argument("--workshop", action="store_true",
                        help="a workshop room: 60 sessions, think time ~5 s, the workshop's mix, 120 s, p95 < 2 s "
                             "(any of these given explicitly wins)")
    args = parser.parse_args()
    if args.workshop:
        for name, value in WORKSHOP.items():
            if f"--{name.replace('_', '-')}" not in sys.argv:
                setattr(args, name, value)
    if not 1 <= args.sessions <= 200 or not 1 <= args.seconds <= 600:
        parser.error("--sessions must be in 1..200 and --seconds in 1..600 (a shared machine)")
    STEP_TIMEOUT_S = max(LIMIT_S, min(300.0, args.step_timeout))
    if args.py_spy and not shutil.which("py-spy"):
        parser.error("--py-spy needs py-spy (pip install py-spy)")
    return asyncio.run(load_test(args.sessions, args.seconds, args.think, args.mix, args.target_p95, args.py_spy))


if __name__ == "__main__":
    sys.exit(main())
