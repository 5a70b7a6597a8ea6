"""Initializers: reproducible from a seed, the right distribution, and linear in the gain."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_core import INITIALIZERS, Config, init_matrix, init_params

ALL = tuple(INITIALIZERS)
SHAPES = [(6, 6), (7, 4), (4, 7)]


def _draw(name, n_out, n_in, gain, seed):
    return init_matrix(name, n_out, n_in, gain, np.random.default_rng(seed))


@pytest.mark.parametrize("name", ALL)
def test_reproducible_bit_for_bit(name):
    n_in = 6 if name == "spectral_radius" else 5  # spectral_radius is square only
    W1 = _draw(name, 6, n_in, 1.3, seed=42)
    W2 = _draw(name, 6, n_in, 1.3, seed=42)
    assert W1.dtype == np.float64 and W1.shape == (6, n_in)
    np.testing.assert_array_equal(W1, W2)
    if name != "identity":
        assert not np.array_equal(W1, _draw(name, 6, n_in, 1.3, seed=43))


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("gain", [0.0, 0.37, 2.0, 50.0])
def test_linear_in_the_gain(name, gain):
    # The sweep draws W(1) once and runs g * W(1); a row must equal a run of W(g) alone, so init(g) = g * init(1).
    W_g = _draw(name, 6, 6, gain, seed=5)
    W_1 = _draw(name, 6, 6, 1.0, seed=5)
    # equal to rounding: gain/sqrt(n) * z against gain * (1/sqrt(n) * z) differ in the last bit
    np.testing.assert_allclose(W_g, gain * W_1, rtol=1e-14, atol=0)


@pytest.mark.parametrize("n_out, n_in", SHAPES)
@pytest.mark.parametrize("gain", [1.0, 0.5, 3.0])
def test_orthogonal_rows_or_columns_are_orthonormal_times_gain(n_out, n_in, gain):
    W = _draw("orthogonal", n_out, n_in, gain, seed=1)
    gram = W @ W.T if n_out <= n_in else W.T @ W
    np.testing.assert_allclose(gram, gain**2 * np.eye(min(n_out, n_in)), rtol=0, atol=1e-12 * gain**2)
    if n_out == n_in:
        np.testing.assert_allclose(np.linalg.svd(W, compute_uv=False), gain, rtol=1e-12)


def test_orthogonal_is_haar_distributed_in_sign():
    # Without the sign fix Q * sign(diag R), QR of a Gaussian gives diag(R) > 0, which biases Q. With it, the
    # diagonal of Q has mean 0: over 400 draws its average is 0 within ~4 standard errors (1/sqrt(400 * 4)).
    diag = np.array([np.diag(_draw("orthogonal", 4, 4, 1.0, seed=s)) for s in range(400)])
    assert abs(diag.mean()) < 4 / np.sqrt(diag.size)


def test_identity_is_gain_times_identity_and_draws_nothing():
    rng = np.random.default_rng(0)
    state = rng.bit_generator.state
    np.testing.assert_array_equal(init_matrix("identity", 4, 4, 1.7, rng), 1.7 * np.eye(4))
    assert rng.bit_generator.state == state
    np.testing.assert_array_equal(init_matrix("identity", 2, 3, 2.0, rng), 2.0 * np.eye(2, 3))


@pytest.mark.parametrize("gain", [0.1, 1.0, 1.3, 7.0])
def test_spectral_radius_is_the_gain(gain):
    W = _draw("spectral_radius", 8, 8, gain, seed=3)
    # the matrix is rescaled by gain / rho; recomputing the eigenvalues rounds again: 1e-12 relative
    assert np.max(np.abs(np.linalg.eigvals(W))) == pytest.approx(gain, rel=1e-12)


def test_spectral_radius_needs_a_square_matrix():
    with pytest.raises(ValueError, match="square"):
        _draw("spectral_radius", 3, 4, 1.0, seed=0)


# Entry variance for (n_out, n_in) = (N, N); uniform and pytorch_default from the bound b: b^2 / 3.
VARIANCE = {
    "normal": lambda g, n: g**2 / n,
    "uniform": lambda g, n: g**2 / n,
    "glorot_normal": lambda g, n: g**2 * 2 / (2 * n),
    "glorot_uniform": lambda g, n: (g * np.sqrt(6 / (2 * n))) ** 2 / 3,
    "he_normal": lambda g, n: 2 * g**2 / n,
    "pytorch_default": lambda g, n: g**2 / n / 3,
}  # orthogonal: exact, from W W^T = g^2 I above


@pytest.mark.parametrize("name", sorted(VARIANCE))
def test_empirical_variance(name):
    N, gain = 1000, 1.7
    W = _draw(name, N, N, gain, seed=9)
    # 1e6 entries: the variance estimate has a relative standard error sqrt(2/1e6) ~ 1.4e-3 (normal; smaller for
    # uniform), so 1% is ~7 standard errors; a wrong formula (a factor 2 or 3, or N vs sqrt N) is far outside.
    assert W.var() == pytest.approx(VARIANCE[name](gain, N), rel=1e-2)
    assert abs(W.mean()) < 5 * np.sqrt(VARIANCE[name](gain, N) / W.size)


@pytest.mark.parametrize("name", ["uniform", "glorot_uniform", "pytorch_default"])
def test_uniform_bounds(name):
    N, gain = 50, 2.0
    bound = {"uniform": gain * np.sqrt(3 / N), "glorot_uniform": gain * np.sqrt(6 / (2 * N)),
             "pytorch_default": gain / np.sqrt(N)}[name]
    W = _draw(name, N, N, gain, seed=2)
    assert np.abs(W).max() <= bound
    assert np.abs(W).max() > 0.95 * bound  # 2500 draws reach the edges


def test_unknown_initializer_names_the_allowed_ones():
    with pytest.raises(ValueError, match=r"init='xavier' is not one of 'normal', 'uniform'"):
        init_matrix("xavier", 2, 2, 1.0, np.random.default_rng(0))


def test_init_params_streams_are_independent():
    # Changing the initializer or the gain must not change the input weights, the bias or the readout.
    base = Config(hidden_size=6, input_size=3, bias_scale=0.5, seed=4)
    p = init_params(base)
    for other in (base.replace(init="orthogonal"), base.replace(gain=2.5), base.replace(activation="relu")):
        q = init_params(other)
        np.testing.assert_array_equal(p.W_xh, q.W_xh)
        np.testing.assert_array_equal(p.b, q.b)
        np.testing.assert_array_equal(p.u, q.u)
    assert np.linalg.norm(p.u) == pytest.approx(1.0, rel=1e-15)
    np.testing.assert_array_equal(init_params(base).W_hh, p.W_hh)  # reproducible
    assert not np.array_equal(init_params(base.replace(seed=5)).W_hh, p.W_hh)
    np.testing.assert_array_equal(init_params(base.replace(bias_scale=0.0)).b, np.zeros(6))
