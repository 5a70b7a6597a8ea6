"""Cached computations, shared by every session on the server and bounded so that a room of users fits in ~1 GB.

Keys are the flat settings (``Config.to_dict()``, ``MapSettings.to_dict()``): a view's and a chart's as one string
(``cache_key``). Cached functions may not draw, so progress is shown between cached calls (``map_with_progress``).
"""

from __future__ import annotations

import json
import numbers
import threading
from collections.abc import Callable
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st
from streamlit.dataframe_util import convert_anything_to_arrow_bytes

from rnn_core import Config
from rnn_core.phase import AXES, MapSettings, map_row

from .charts import themed
from .i18n import language, tr
from .map_view import MapView, SpectraView, build_map_view, build_spectra_view
from .view import View, build_view
from .worker import compute

CACHE_ENTRIES = 64  # views are < 1 MB each: 64 of them stay far below the 1 GB of a shared server

def cache_key(*parts: Any) -> str:
    """The key of a cached value as one string. Streamlit hashes a cached function's arguments object by object in
    Python: ~1.5 ms for a configuration's dict or a chart's key tuple, paid by every rerun for every chart (14 ms of
    a cached Explorer rerun's ~45). The repr of flat settings (strings, numbers, booleans, tuples of them) is exact
    and cheap, and a string is hashed in one call. Anything else (an array's repr is shortened, an object's may be
    its address) raises ``TypeError`` rather than risk two values sharing a key."""
    def check(x: Any) -> None:
        if isinstance(x, (tuple, list)):
            for y in x:
                check(y)
        elif not isinstance(x, (str, bool, numbers.Number, type(None))) or isinstance(x, np.ndarray):
            raise TypeError(f"a cache key holds {type(x).__name__}: only strings, numbers and tuples of them")
    check(parts)
    return repr(parts)


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def _cached_view(key: str, _values: dict[str, Any]) -> View:
    return compute(build_view, Config.from_dict(_values))  # in the worker process when it is free (ui.worker)


def cached_view(values: dict[str, Any]) -> View:
    """The view of a configuration, cached by its flat dict (shared by every session on the server). The spinner,
    in the page's language, shows only when the work takes longer than half a second (a miss)."""
    with st.spinner(tr("Running the RNN and backpropagating through time…")):
        return view_of(values)


def view_of(values: dict[str, Any]) -> View:
    """:func:`cached_view` without the spinner (outside a page: :func:`ui.explorer_view.warm_up`)."""
    return _cached_view(cache_key(sorted(values.items())), values)

@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def cached_map_row(values: dict[str, Any], settings: dict[str, Any],
                   value: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row of a regime map, cached: a map that shares rows with an earlier one reuses them."""
    return compute(map_row, Config.from_dict(values), MapSettings(**settings), value)

@st.cache_data(max_entries=16, show_spinner=False)
def _cached_map(values: dict[str, Any], settings: dict[str, Any]) -> MapView:
    return build_map_view(Config.from_dict(values), MapSettings(**settings),
                          row=lambda v: cached_map_row(values, settings, v))

def map_with_progress(config: Config, settings: MapSettings) -> MapView:
    """The regime map, row by row behind a progress bar (outside the cached functions, which may not draw)."""
    values, s = config.to_dict(), settings.to_dict()
    rows = AXES[settings.axis]
    bar = st.progress(0.0, text=tr("Sweeping the map…"))
    for i, value in enumerate(rows):
        cached_map_row(values, s, value)
        bar.progress((i + 1) / len(rows), text=tr("Swept {i} of {n} rows", i=i + 1, n=len(rows)))
    bar.empty()
    return _cached_map(values, s)

@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def _cached_spectra(values: dict[str, Any]) -> SpectraView:
    return compute(build_spectra_view, Config.from_dict(values))


def cached_spectra(values: dict[str, Any]) -> SpectraView:
    with st.spinner(tr("Comparing Gaussian and orthogonal W_hh…")):
        return _cached_spectra(values)

_ARROW_TRANSFORMER = "rnn_lab_arrow"
_transform_lock = threading.Lock()  # Altair's active data transformer is global; sessions build charts in threads


def _to_arrow(data: pd.DataFrame, datasets: dict[str, bytes]) -> dict[str, str]:
    """Altair data transformer: the frame becomes a named dataset of Arrow IPC bytes, what Streamlit sends.

    Datasets are named by their order in the chart (``frame_0``, ``frame_1``, ...; a frame used twice is sent once;
    Vega-Lite names its own derived data ``data_N``), not by their content, so that the spec sent for a chart whose
    numbers change is the same string (tested in tests/app/test_chart_cost.py). The browser swaps new rows into a
    drawn chart when its spec is unchanged, and compiles and draws a new one otherwise; Streamlit's frontend (1.67)
    itself matches datasets by position, so what decides is that no axis or label holds a value of the data (the
    builders round them: :func:`ui.charts.gradient_domain`, the eigenvalues' axes).
    """
    arrow = convert_anything_to_arrow_bytes(data)
    name = next((n for n, seen in datasets.items() if seen == arrow), f"frame_{len(datasets)}")
    datasets[name] = arrow
    return {"name": name}


alt.data_transformers.register(_ARROW_TRANSFORMER, _to_arrow)
# Altair checks every schema object against the Vega-Lite schema as it is built (its debug mode): a third of the time
# of building the Explorer's charts, which every new setting pays (48 ms -> ~32 for the seven). The builders' specs
# are validated against the schema in the tests instead (tests/ui/test_charts.py: Altair's to_dict validates).
alt.utils.schemapi.disable_debug_mode()


@st.cache_data(max_entries=256, show_spinner=False)
def _chart_spec(key: str, _build: Callable[[], alt.TopLevelMixin]) -> tuple[str, dict[str, bytes]]:
    """The chart's Vega-Lite spec without its data (JSON), and its datasets as Arrow IPC bytes.

    Both are what Streamlit would make of the chart on every run: turning an Altair chart into Vega-Lite costs more
    than the analysis of the default configuration, and Streamlit converts each dataset to Arrow (it leaves bytes as
    they are). The frames go to Arrow directly, not through Altair's JSON records. Cached, a rerun only parses a few
    kB of spec. The spec carries the charts' one theme (:func:`ui.charts.themed`).
    """
    chart = _build()
    datasets: dict[str, bytes] = {}
    with _transform_lock, alt.data_transformers.enable(_ARROW_TRANSFORMER, datasets=datasets):
        spec = chart.to_dict(validate=False)
    spec.pop("datasets", None)  # what the transformer did not see (none from our builders)
    return json.dumps(themed(spec)), datasets


def chart_spec(key: tuple, build: Callable[[], alt.TopLevelMixin]) -> tuple[str, dict[str, bytes]]:
    """The spec and datasets of the chart ``build()`` makes, cached for every session by ``key`` and the language
    (see :func:`draw`)."""
    return _chart_spec(cache_key(language(), *key), build)


def draw(key: tuple, build: Callable[[], alt.TopLevelMixin], width: str = "stretch", shared: bool = True,
         select: str | None = None) -> Any:
    """Draw the chart ``build()`` makes, cached by ``key``: everything the chart depends on (settings, chart name),
    and the page's language, in which the builders write every title, legend and label (``ui.i18n``).
    ``shared=False`` (an uploaded model's charts, which stay in their session) builds it without the cache.
    ``select`` names the chart's selection parameter that a click reruns the page with: the chart's state is
    returned (its widget key is the parameter's name).

    The builders' specs are validated against the Vega-Lite schema in the tests (tests/ui).
    """
    spec_json, datasets = chart_spec(key, build) if shared else _chart_spec.__wrapped__(cache_key(), build)
    spec = json.loads(spec_json)
    if language() in NUMBER_LOCALES:  # the axes' and tooltips' numbers with the language's decimal mark
        spec.setdefault("config", {})["locale"] = {"number": NUMBER_LOCALES[language()]}
    if datasets:
        spec["datasets"] = dict(datasets)
    spec.setdefault("autosize", chart_autosize(spec, width))
    if select is None:
        return st.vega_lite_chart(spec=spec, width=width)
    return st.vega_lite_chart(spec=spec, width=width, key=select, on_select="rerun", selection_mode=[select])


_COMPOSITIONS = ("facet", "hconcat", "vconcat", "concat", "repeat")
# Vega's number format per language (d3-format's locale; English is Vega's default)
NUMBER_LOCALES = {"da": {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["", " kr."]}}


def chart_autosize(spec: dict, width: str) -> dict:
    """How a chart takes its size: the builders' heights are the plot's own.

    Streamlit's default for a single chart, ``fit``, puts the axes and a bottom legend inside the given height, so
    the plot shrank: 80 px of 240 for the singular values, and the eigenvalues' unit circle drew as an ellipse.
    ``fit-x`` fits only the width to the column (what ``width="stretch"`` asks), ``pad`` keeps both sizes (square
    plots, ``width="content"``). Compositions (facets, concatenations) keep ``pad``, as Streamlit gives them.
    """
    if width == "stretch" and not any(k in spec for k in _COMPOSITIONS):
        return {"type": "fit-x", "contains": "padding"}
    return {"type": "pad", "contains": "padding"}
