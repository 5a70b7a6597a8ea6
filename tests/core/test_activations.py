"""Activations: values, derivatives beside them, the bound gamma = sup |act'|."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from rnn_core import ACTIVATIONS, get_activation
from rnn_core.activations import LEAKY_SLOPE, saturated_fraction

SMOOTH_GRID = np.linspace(-8.0, 8.0, 1601)
KINK_FREE_GRID = SMOOTH_GRID[np.abs(SMOOTH_GRID) > 1e-3]  # relu and leaky relu: FD across 0 is meaningless


def test_every_name_is_registered():
    assert set(ACTIVATIONS) == {"tanh", "sigmoid", "relu", "leaky_relu", "linear"}
    for name, act in ACTIVATIONS.items():
        assert act.name == name
        assert get_activation(name) is act


def test_values_match_the_formulas(activation, reference_act):
    a = SMOOTH_GRID
    # the same formulas evaluated differently (sigmoid: stable split vs 1/(1+e^-a)): 1e-15 relative, a few ulps
    np.testing.assert_allclose(ACTIVATIONS[activation](a), reference_act[activation](a), rtol=1e-15, atol=1e-300)


def test_derivative_matches_central_differences(activation, reference_act):
    a = KINK_FREE_GRID
    step = 1e-6
    f = reference_act[activation]
    fd = (f(a + step) - f(a - step)) / (2 * step)
    # truncation ~ step^2 |f'''| <= 1e-12, rounding ~ 1e-16 / step = 1e-10
    np.testing.assert_allclose(ACTIVATIONS[activation].derivative(a), fd, rtol=0, atol=1e-9)


def test_gamma_is_the_supremum_of_the_derivative(activation):
    act = ACTIVATIONS[activation]
    d = np.abs(act.derivative(np.linspace(-20, 20, 40001)))
    assert d.max() <= act.gamma  # a bound ...
    assert d.max() == pytest.approx(act.gamma, rel=1e-6)  # ... attained (at 0 or on the positive side)
    assert {n: a.gamma for n, a in ACTIVATIONS.items()} == {
        "tanh": 1.0, "sigmoid": 0.25, "relu": 1.0, "leaky_relu": 1.0, "linear": 1.0}


def test_sigmoid_never_overflows():
    sig = ACTIVATIONS["sigmoid"]
    a = np.array([-1e308, -1000.0, -745.0, 0.0, 745.0, 1000.0, 1e308])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning from exp
        h = sig(a)
        d = sig.derivative(a)
    assert np.isfinite(h).all() and np.isfinite(d).all()
    assert h[0] == 0.0 and h[-1] == 1.0 and h[3] == 0.5
    assert d[3] == 0.25


def test_relu_derivative_at_zero_is_zero_like_pytorch():
    assert ACTIVATIONS["relu"].derivative(np.array([0.0]))[0] == 0.0
    assert ACTIVATIONS["leaky_relu"].derivative(np.array([0.0]))[0] == LEAKY_SLOPE


def test_f_writes_into_out_and_returns_it(activation):
    act = ACTIVATIONS[activation]
    a = np.linspace(-2, 2, 9)
    out = np.empty_like(a)
    assert act.f(a, out) is out
    np.testing.assert_array_equal(out, act(a))
    h = act(a)
    dout = np.empty_like(a)
    assert act.df(h, dout) is dout
    np.testing.assert_array_equal(dout, act.derivative(a))


def test_derivative_from_the_output_alone_matches_the_pre_activation_rule(activation):
    # df sees only h = act(a): for relu and leaky relu the sign of h must be the sign of a, down to the
    # subnormals, zeros of both signs, infinities and NaN (which PyTorch also maps to a zero derivative for relu)
    a = np.array([-np.inf, -1e308, -3.0, -1e-320, -5e-324, -0.0, 0.0, 5e-324, 1e-320, 3.0, 1e308, np.inf, np.nan])
    act = ACTIVATIONS[activation]
    with np.errstate(invalid="ignore", over="ignore"):
        got = act.derivative(a)
    if activation == "relu":
        np.testing.assert_array_equal(got, np.where(a > 0, 1.0, 0.0))
    elif activation == "leaky_relu":
        np.testing.assert_array_equal(got, np.where(a > 0, 1.0, LEAKY_SLOPE))
    elif activation == "linear":
        np.testing.assert_array_equal(got, np.ones_like(a))


def test_unknown_activation_names_the_allowed_ones():
    with pytest.raises(ValueError, match=r"activation='tahn' is not one of 'tanh', 'sigmoid', 'relu'"):
        get_activation("tahn")


@pytest.mark.parametrize("name, h, expected", [
    ("tanh", [0.0, 0.5, 0.98, -0.99], 0.5),
    ("sigmoid", [0.01, 0.5, 0.5, 0.99], 0.5),
    ("relu", [0.0, 0.0, 1.0, 2.0], 0.5),
    ("leaky_relu", [-0.01, 0.0, 1.0, 2.0], 0.5),
    ("linear", [-100.0, 0.0, 1.0, 100.0], 0.0),
])
def test_saturated_fraction(name, h, expected):
    assert saturated_fraction(name, np.array([h]))[0] == expected
