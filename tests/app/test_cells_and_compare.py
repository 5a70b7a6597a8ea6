"""Every cell in the Explorer and the Compare page through AppTest: what each shows is built from its own numbers."""

import re

import numpy as np
import pytest
from apptools import regime_shown

from rnn_core import Config, analyze
from rnn_core.diagnosis import rate_text
from rnn_core.presets import COMPARISONS, VARIANTS_BY_SLUG
from ui.captions import horizon_text

CELLS = ("rnn", "leaky", "lstm", "gru", "lru")


@pytest.mark.parametrize("cell", CELLS)
def test_every_cell_renders_in_the_explorer_with_its_own_verdict(app, cell):
    app.query_params["cell"] = cell
    at = app.run()
    assert not at.exception and not at.error
    assert regime_shown(at) == analyze(Config(cell=cell)).diagnosis.regime
    labels = {m.label for m in at.metric}
    shown = {s.label for s in at.selectbox} | {n.label for n in at.number_input}
    assert "Cell" in shown
    if cell in ("lstm", "gru"):  # no single recurrent matrix: its own theory instead of a bound and a spectrum
        assert "γ·σ_max" not in labels and "spectral radius ρ" not in labels
        assert {"carousel", "update gate"} & labels
        assert "Activation" not in shown  # the gates fix the nonlinearity
    if cell == "leaky":
        assert "Leak α" in shown and "step bound" in labels
    else:
        assert "Leak α" not in shown
    if cell == "lru":
        assert {"Ring r_min", "Ring r_max", "Max phase"} <= shown
        assert "Gain g" not in {s.label for s in at.select_slider}


def test_the_lstm_chart_draws_its_carousel_and_cell_state_gradient(app):
    app.query_params["cell"] = "lstm"
    at = app.run()
    captions = " ".join(c.value for c in at.caption)
    # the caption names the carousel with the number the core computes
    ref = analyze(Config(cell="lstm")).reference["carousel"][0]
    from rnn_core.diagnosis import pow10_text
    assert f"carousel is {pow10_text(float(ref))} after 100 steps" in captions


def _compare(app, variants: str) -> object:
    app.query_params["compare"] = variants
    at = app.run()
    at.switch_page("pages/compare.py")
    return at.run()


def test_compare_shows_each_network_with_its_own_numbers(app):
    at = _compare(app, "rnn,lstm,gru")
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert list(table["network"]) == [VARIANTS_BY_SLUG[s].name for s in ("rnn", "lstm", "gru")]
    rows = zip(("rnn", "lstm", "gru"), table["regime"], table["per-step rate"], table["memory horizon"], strict=True)
    for slug, regime, rate, horizon in rows:  # in the format of every other page (rate_text, horizon_text)
        d = analyze(VARIANTS_BY_SLUG[slug].config(Config())).diagnosis
        assert regime == d.regime and rate == rate_text(d.rate) and horizon == horizon_text(d)
    assert at.query_params["compare"] == "rnn,lstm,gru"
    caption = next(c.value for c in at.caption if c.value.startswith(VARIANTS_BY_SLUG["rnn"].name))
    assert re.search(r"a factor [0-9.]+ per step", caption)


def test_a_bad_compare_link_warns_and_falls_back(app):
    at = _compare(app, "rnn,<b>x</b>")
    assert not at.exception
    assert any("compare" in w.value for w in at.warning)
    assert len(at.dataframe[0].value) == 3  # the default three


@pytest.mark.parametrize("comparison", COMPARISONS, ids=[c.slug for c in COMPARISONS])
def test_every_comparison_preset_renders(app, comparison):
    at = _compare(app, "rnn,lstm")
    at.selectbox(key="comparison").set_value(comparison.slug).run()
    assert not at.exception and not at.error
    assert list(at.dataframe[0].value["network"]) == [VARIANTS_BY_SLUG[s].name for s in comparison.variants]
    assert at.query_params["seq_len"] == str(comparison.base.seq_len)


def test_the_lru_page_plots_the_curse_of_memory_and_its_caption_is_the_formula(app):
    app.query_params.update({"cell": "lru", "r_min": "0.9", "r_max": "0.999"})
    at = app.run()
    assert not at.exception
    assert any(s.value == "The curse of memory" for s in at.subheader)
    caption = next(c.value for c in at.caption if c.value.startswith("The shaded band"))
    from rnn_core.diagnosis import pow10_text

    def sens(r):  # (1 + r^2) / (1 - r^2)^2: the normalized LRU's E|dh/dlambda|^2 for a long sequence
        return (1 + r * r) / (1 - r * r) ** 2
    assert f"At |λ| = 0.999 the state's sensitivity to its own eigenvalue is {pow10_text(np.log10(sens(0.999)))}," \
        in caption
    ratio = pow10_text(np.log10(sens(0.999) / sens(0.5)))
    assert f"{ratio} times that at |λ| = 0.5" in caption
