"""Shared set-ups for the core tests: small networks and an independent reference RNN in plain NumPy.

The reference here is written from the equations (``a_t = W_hh h_{t-1} + W_xh x_t + b``, ``h_t = act(a_t)``,
``h_0 = 0``), not from ``rnn_core``, so that a test comparing the two can fail.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

import numpy as np
import pytest

from rnn_core import Params

Array = np.ndarray

# act(a) from the textbook formulas, independent of rnn_core.activations.
REFERENCE_ACT: dict[str, Callable[[Array], Array]] = {
    "tanh": np.tanh,
    "sigmoid": lambda a: 1.0 / (1.0 + np.exp(-a)),
    "relu": lambda a: np.maximum(a, 0.0),
    "leaky_relu": lambda a: np.where(a > 0, a, 0.01 * a),
    "linear": lambda a: a,
}
ACTIVATION_NAMES = tuple(REFERENCE_ACT)

# W_hh gain per activation for the small gradient-check networks: large enough that dL/dh_0 is not tiny after
# T = 6 steps (sigmoid's act' is at most 1/4), small enough that nothing saturates.
CHECK_GAIN = {"tanh": 1.5, "sigmoid": 4.0, "relu": 1.2, "leaky_relu": 1.2, "linear": 1.0}


def reference_states(p: Params, x: Array, activation: str, bump_step: int | None = None,
                     bump: Array | None = None) -> Array:
    """(T+1, B, N): h_0..h_T from a plain loop; ``bump`` (B, N) is added to h at step ``bump_step`` (for FD)."""
    act = REFERENCE_ACT[activation]
    T, B, _ = x.shape
    h = np.zeros((B, p.W_hh.shape[0]))
    if bump_step == 0:
        h = h + bump
    hs = [h]
    for t in range(1, T + 1):
        h = act(h @ p.W_hh.T + x[t - 1] @ p.W_xh.T + p.b)
        if bump_step == t:
            h = h + bump
        hs.append(h)
    return np.stack(hs)


def reference_loss(p: Params, x: Array, activation: str, loss: str, bump_step: int | None = None,
                   bump: Array | None = None) -> float:
    """'last': L = sum_b u·h_T; 'all': L = sum_b sum_{t=1..T} u·h_t."""
    h = reference_states(p, x, activation, bump_step, bump)
    return float((h[-1] @ p.u).sum() if loss == "last" else (h[1:] @ p.u).sum())


def small_network(activation: str, seed: int, N: int = 5, D: int = 4, T: int = 6, B: int = 3) -> tuple[Params, Array]:
    """A random network (W_hh ~ N(0, g^2/N), g = CHECK_GAIN) with bias and a noise input of shape (T, B, D)."""
    rng = np.random.default_rng(seed)
    W_hh = rng.normal(0.0, CHECK_GAIN[activation] / np.sqrt(N), size=(N, N))
    W_xh = rng.normal(0.0, 1.0 / np.sqrt(D), size=(N, D))
    b = rng.normal(0.0, 0.3, size=N)
    u = rng.normal(size=N)
    x = rng.normal(size=(T, B, D))
    return Params(W_hh, W_xh, b, u / np.linalg.norm(u)), x


@pytest.fixture(params=ACTIVATION_NAMES)
def activation(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(params=("last", "all"))
def loss(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def check_network(activation: str) -> tuple[Params, Array]:
    """N=5, T=6, B=3, D=4 network (seed 0) for the gradient checks.

    Its pre-activations all stay at least 1e-2 away from 0, the kink of relu and leaky relu (finite differences
    with a step of 1e-6 across a kink would be meaningless); the tests that need it assert that margin.
    """
    return small_network(activation, seed=0)


@pytest.fixture
def reference() -> SimpleNamespace:
    """The independent reference RNN: ``states(p, x, act, bump_step, bump)`` and ``loss(p, x, act, loss, ...)``."""
    return SimpleNamespace(states=reference_states, loss=reference_loss, network=small_network)


@pytest.fixture
def reference_act() -> dict[str, Callable[[Array], Array]]:
    """act(a) from the textbook formulas, by name."""
    return REFERENCE_ACT
