"""Spectra of W_hh and Lyapunov exponents along a trajectory."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_core import Config, Params, analyze, forward, init_matrix, lyapunov_spectrum, spectrum


def test_spectrum_of_a_known_matrix():
    W = np.array([[0.0, 2.0], [0.5, 0.0]])  # eigenvalues ±1, singular values 2 and 0.5
    s = spectrum(W)
    np.testing.assert_allclose(np.sort(s.eigenvalues.real), [-1.0, 1.0], rtol=1e-15)
    np.testing.assert_allclose(s.singular_values, [2.0, 0.5], rtol=1e-15)
    assert s.spectral_radius == pytest.approx(1.0, rel=1e-15) and s.sigma_max == 2.0


def test_spectrum_of_a_stack():
    rng = np.random.default_rng(0)
    W = rng.normal(size=(3, 5, 5))
    s = spectrum(W)
    assert s.eigenvalues.shape == (3, 5) and s.singular_values.shape == (3, 5)
    for g in range(3):
        assert s.spectral_radius[g] == pytest.approx(np.max(np.abs(np.linalg.eigvals(W[g]))), rel=1e-13)
        assert s.sigma_max[g] == pytest.approx(np.linalg.norm(W[g], 2), rel=1e-13)
    assert (np.diff(s.singular_values, axis=-1) <= 0).all()  # descending


@pytest.mark.parametrize("g", [0.3, 0.9, 1.0, 1.7, 3.0])
def test_linear_orthogonal_exponents_all_equal_ln_gain(g):
    # J_t = g Q for every t: every finite-time exponent is exactly ln g, whatever the frame
    cfg = Config(activation="linear", init="orthogonal", gain=g, seq_len=200, hidden_size=6, input_kind="zeros")
    a = analyze(cfg, jacobians=False)
    assert a.lyapunov.shape == (6,)
    # 1e-12 relative to ln g, or absolute where ln g = 0 (g = 1); measured ~3e-16
    np.testing.assert_allclose(a.lyapunov, np.log(g), rtol=0, atol=1e-12 * max(1.0, abs(np.log(g))))


def test_linear_orthogonal_exponents_after_an_overflow_average_over_the_valid_steps():
    # The states overflow (noise input, gain 3); the exponents use steps 1..loss_step only and stay ln 3.
    cfg = Config(activation="linear", init="orthogonal", gain=3.0, seq_len=2000, hidden_size=5)
    a = analyze(cfg, jacobians=False)
    assert a.diagnosis.overflow_step is not None
    np.testing.assert_allclose(a.lyapunov, np.log(3.0), rtol=1e-12)


def test_diagonal_linear_map_gives_the_log_eigenvalues():
    # W = diag(2, 1, 0.5, 0.1): exponents ln 2, 0, ln 0.5, ln 0.1, in descending order. A random initial frame
    # has an O(1) component off each direction, so the finite-time error is O(1/T): 5e-3 at T = 2000.
    d = np.array([0.5, 2.0, 0.1, 1.0])
    p = Params.from_arrays(np.diag(d), input_size=1)
    traj = forward(p, np.zeros((2000, 1, 1)), "linear")
    lam = lyapunov_spectrum(p.W_hh, traj, k=4, seed=0)[0]  # (groups=1, k) for one network
    np.testing.assert_allclose(lam, np.log([2.0, 1.0, 0.5, 0.1]), atol=5e-3)
    assert lyapunov_spectrum(p.W_hh, traj, k=2, seed=0)[0] == pytest.approx(lam[:2], abs=5e-3)


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_top_exponent_is_the_growth_of_one_tangent_vector(activation):
    # k = 1: lambda_1 = (1/T) ln ||J_T ... J_1 q_0|| with q_0 the seeded start (the QR method only renormalizes).
    cfg = Config(activation=activation, gain=1.5, seq_len=40, hidden_size=6, bias_scale=0.3, seed=0)
    a = analyze(cfg, jacobians=False)
    traj, W = a.traj, a.params.W_hh
    q0 = np.linalg.qr(np.random.default_rng(5).normal(size=(6, 1)))[0][:, 0]
    v = q0.copy()
    for t in range(1, cfg.seq_len + 1):
        v = traj.dact[t, 0] * (W @ v)
    expected = np.log(np.linalg.norm(v)) / cfg.seq_len
    assert np.isfinite(expected)  # the seed keeps some relus alive: a real number to compare
    assert lyapunov_spectrum(W, traj, k=1, seed=5)[0, 0] == pytest.approx(expected, abs=1e-12)


def test_singular_product_gives_minus_infinity():
    cfg = Config(gain=0.0, seq_len=10, hidden_size=3)
    a = analyze(cfg, jacobians=False)
    assert np.isneginf(a.lyapunov).all()


def test_stacked_networks_equal_single_calls():
    # The sweep's layout: S seeds x G gains stacked as leading dimensions of the parameters.
    rng = np.random.default_rng(1)
    S, G, N, T = 2, 3, 5, 30
    W1 = np.stack([init_matrix("normal", N, N, 1.0, rng) for _ in range(S)])
    gains = np.array([0.5, 1.5, 4.0])
    x = rng.normal(size=(T, S, 1, 2, 2))  # two sequences per network, one input per seed
    W_xh = rng.normal(size=(S, N, 2))
    stack = lambda a: np.broadcast_to(a[:, None], (S, G, *a.shape[1:]))  # noqa: E731
    stacked = Params(gains[None, :, None, None] * W1[:, None], stack(W_xh), np.zeros((S, G, N)),
                     np.ones((S, G, N)) / np.sqrt(N))
    traj = forward(stacked, x, "tanh")
    lam = lyapunov_spectrum(stacked, traj, k=3, seed=4)  # (S, G, k)
    assert lam.shape == (S, G, 3)
    for s in range(S):
        for g in range(G):
            p = Params(gains[g] * W1[s], W_xh[s], np.zeros(N), np.ones(N) / np.sqrt(N))
            single = lyapunov_spectrum(p, forward(p, x[:, s, 0], "tanh"), k=3, seed=4)[0]
            np.testing.assert_allclose(lam[s, g], single, rtol=1e-12, atol=1e-14)
