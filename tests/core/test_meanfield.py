"""Mean-field theory of random tanh networks: the formula's values, and a large network measured against them."""

import numpy as np
import pytest

from rnn_core import Params, forward, init_matrix, lyapunov_spectrum
from rnn_core.meanfield import fixed_point_variance, tanh_lyapunov


@pytest.mark.parametrize("g, expected", [(1.5, 0.0652), (2.0, 0.1547), (3.0, 0.3102)])
def test_mean_field_lambda_max_values(g, expected):
    # the values, to their 4 decimals (independently checked with scipy.integrate.quad: 0.065217, 0.154724,
    # 0.310249)
    assert tanh_lyapunov(g)[0] == pytest.approx(expected, abs=5e-5)


def test_below_one_it_is_ln_g_and_the_variance_is_zero():
    g = np.array([0.1, 0.5, 0.9, 1.0])
    assert np.allclose(tanh_lyapunov(g), np.log(g), atol=1e-12)
    assert np.all(fixed_point_variance(g) == 0)


def test_fixed_point_solves_its_equation():
    g = np.array([1.2, 2.0, 5.0])
    delta = fixed_point_variance(g)
    z = np.linspace(-12, 12, 200_001)
    w = np.exp(-z**2 / 2) / np.sqrt(2 * np.pi) * (z[1] - z[0])
    rhs = g**2 * (np.tanh(np.sqrt(delta)[:, None] * z) ** 2 * w).sum(axis=1)
    assert np.allclose(rhs, delta, rtol=1e-9)  # quadrature on a 40x finer grid: agreement to 1e-9


def test_measured_network_matches_mean_field():
    # N = 1000, g = 2, kicked off the origin by an impulse, then autonomous for 1000 steps: the bounds
    N, T = 1000, 1000
    rng = np.random.default_rng(0)
    p = Params.from_arrays(init_matrix("normal", N, N, 2.0, rng), rng.normal(size=(N, 1)))
    x = np.zeros((T, 1, 1))
    x[0] = 1.0
    lam = lyapunov_spectrum(p.W_hh, forward(p, x, "tanh"), k=1)[0, 0]
    assert 0.148 <= lam <= 0.158
