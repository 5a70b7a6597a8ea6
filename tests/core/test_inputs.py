"""Input sequences x of shape (T, B, D), time first."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_core import INPUT_KINDS, Config, init_inputs, make_inputs
from rnn_core.inputs import SINE_PERIOD, vocabulary


def _make(kind, T=7, B=3, D=4, scale=2.0, seed=0, text="hello"):
    return make_inputs(kind, T, B, D, scale, np.random.default_rng(seed), text=text)


@pytest.mark.parametrize("kind", [k for k in INPUT_KINDS if k != "text"])
def test_shape_and_dtype(kind):
    x = _make(kind)
    assert x.shape == (7, 3, 4) and x.dtype == np.float64
    assert np.isfinite(x).all()


def test_zeros():
    assert not _make("zeros").any()


def test_noise_is_reproducible_and_has_the_scale():
    np.testing.assert_array_equal(_make("noise", seed=3), _make("noise", seed=3))
    assert not np.array_equal(_make("noise", seed=3), _make("noise", seed=4))
    x = _make("noise", T=500, B=4, D=50, scale=2.0)
    assert x.std() == pytest.approx(2.0, rel=0.01)  # 1e5 draws: relative standard error of the std ~2e-3


def test_impulse_is_one_step_of_norm_scale():
    x = _make("impulse", scale=3.0, D=4)
    np.testing.assert_allclose(np.linalg.norm(x[0], axis=-1), 3.0, rtol=1e-15)
    np.testing.assert_array_equal(x[0], np.full((3, 4), 3.0 / 2.0))
    assert not x[1:].any()


def test_sine_formula():
    T, D = 60, 3
    x = _make("sine", T=T, B=2, D=D, scale=1.5)
    t = np.arange(1, T + 1)[:, None]
    expected = 1.5 * np.sin(2 * np.pi * t / SINE_PERIOD + 2 * np.pi * np.arange(D) / D)
    np.testing.assert_allclose(x[:, 0], expected, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(x[:, 0], x[:, 1])  # the same sequence in every batch row
    x[0, 0, 0] = 99.0  # a real array, not a read-only broadcast view
    assert x[0, 1, 0] != 99.0


def test_text_one_hot():
    text = "hello"
    assert vocabulary(text) == ["e", "h", "l", "o"]
    x = _make("text", T=12, B=3, D=0, scale=2.0, text=text)
    assert x.shape == (12, 3, 4)
    np.testing.assert_array_equal(x.sum(axis=-1), 2.0)  # one unit on, times the scale
    vocab = vocabulary(text)
    for b in range(3):
        read = "".join(vocab[i] for i in x[:, b].argmax(axis=-1))
        assert read == (text * 5)[b:b + 12]  # sequence b starts at character b and wraps


def test_text_errors():
    with pytest.raises(ValueError, match="text='' is empty"):
        _make("text", text="")
    with pytest.raises(ValueError, match=r"input_kind='wave' is not one of 'zeros', 'noise'"):
        _make("wave")


def test_init_inputs_follows_the_config():
    cfg = Config(seq_len=9, batch_size=2, input_size=5, input_kind="noise", seed=1)
    x = init_inputs(cfg)
    assert x.shape == (9, 2, 5)
    np.testing.assert_array_equal(x, init_inputs(cfg))
    # the input stream does not depend on the weights' settings
    np.testing.assert_array_equal(x, init_inputs(cfg.replace(gain=3.0, init="orthogonal")))
    t = Config(seq_len=4, input_kind="text", text="abcabd")
    assert t.input_dim == 4 and init_inputs(t).shape == (4, 1, 4)
