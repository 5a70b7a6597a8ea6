"""Activation functions, each beside its derivative and its bound ``gamma = sup |act'|``.

The bound ``gamma`` is what the Pascanu et al. (2013) argument needs: ``||J_t||_2 <= gamma * sigma_max(W_hh)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Array = np.ndarray


@dataclass(frozen=True)
class Activation:
    """An elementwise nonlinearity with its derivative.

    Parameters
    ----------
    name : str
        The name used in configurations, URLs and the UI.
    f : callable
        ``f(a, out)`` writes ``h = act(a)`` into ``out`` and returns it. Writing into preallocated arrays keeps the
        time loop free of large temporaries.
    df : callable
        ``df(h, out)`` writes ``act'(a)`` into ``out`` from ``h = act(a)`` alone, as PyTorch does for tanh and
        sigmoid. Every activation here allows it (relu and leaky relu: ``a > 0`` exactly where ``h > 0``), so the
        forward pass keeps neither the pre-activations nor the derivatives.
    gamma : float
        ``sup |act'|``: 1 for tanh, relu and linear, 1/4 for sigmoid.
    standard_gain : float
        The gain that keeps the forward signal variance roughly constant (PyTorch's ``calculate_gain``).
    """

    name: str
    f: Callable[[Array, Array], Array]
    df: Callable[[Array, Array], Array]
    gamma: float
    standard_gain: float

    def __call__(self, a: Array) -> Array:
        """``act(a)`` into a new float64 array (``a`` may be a scalar or a list)."""
        a = np.asarray(a, dtype=np.float64)
        return self.f(a, np.empty_like(a))

    def derivative(self, a: Array) -> Array:
        """``act'(a)`` into a new array."""
        a = np.asarray(a, dtype=np.float64)
        return self.df(self(a), np.empty_like(a))

    def dact(self, h: Array) -> Array:
        """``act'(a)`` into a new array, from the output ``h = act(a)`` alone (what backpropagation keeps)."""
        return self.df(h, np.empty(np.shape(h)))


def _tanh(a: Array, out: Array) -> Array:
    return np.tanh(a, out=out)


def _tanh_df(h: Array, out: Array) -> Array:
    np.multiply(h, h, out=out)  # tanh' = 1 - tanh^2
    return np.subtract(1.0, out, out=out)


def _sigmoid(a: Array, out: Array) -> Array:
    # 1/(1+e^-a) for a >= 0 and e^a/(1+e^a) below: exp() only ever sees non-positive arguments, so never overflows.
    np.abs(a, out=out)
    np.negative(out, out=out)
    np.exp(out, out=out)  # e^-|a|, in (0, 1]
    num = np.where(a >= 0, 1.0, out)
    np.add(out, 1.0, out=out)
    return np.divide(num, out, out=out)


def _sigmoid_df(h: Array, out: Array) -> Array:
    np.subtract(1.0, h, out=out)
    return np.multiply(h, out, out=out)


def _relu(a: Array, out: Array) -> Array:
    return np.maximum(a, 0.0, out=out)


def _step(h: Array, out: Array) -> Array:
    # relu' = 1 for a > 0, 0 otherwise (PyTorch's choice at 0); h = max(a, 0) > 0 exactly where a > 0, NaN gives 0
    return np.greater(h, 0.0, out=out, casting="unsafe")


def _leaky(a: Array, out: Array) -> Array:
    np.multiply(a, LEAKY_SLOPE, out=out)
    return np.maximum(a, out, out=out)


def _leaky_df(h: Array, out: Array) -> Array:
    out[...] = np.where(h > 0, 1.0, LEAKY_SLOPE)  # h = max(a, 0.01 a) > 0 exactly where a > 0
    return out


def _linear(a: Array, out: Array) -> Array:
    np.copyto(out, a)
    return out


def _ones(h: Array, out: Array) -> Array:
    out.fill(1.0)
    return out


LEAKY_SLOPE = 0.01

ACTIVATIONS: dict[str, Activation] = {
    "tanh": Activation("tanh", _tanh, _tanh_df, 1.0, 5.0 / 3.0),
    "sigmoid": Activation("sigmoid", _sigmoid, _sigmoid_df, 0.25, 1.0),
    "relu": Activation("relu", _relu, _step, 1.0, float(np.sqrt(2.0))),
    "leaky_relu": Activation("leaky_relu", _leaky, _leaky_df, 1.0, float(np.sqrt(2.0 / (1.0 + LEAKY_SLOPE**2)))),
    "linear": Activation("linear", _linear, _ones, 1.0, 1.0),
}


def get_activation(name: str) -> Activation:
    """Return the activation called ``name``; raise a ValueError naming the allowed ones otherwise."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        allowed = ", ".join(repr(k) for k in ACTIVATIONS)
        raise ValueError(f"activation={name!r} is not one of {allowed}") from None


def saturated_fraction(name: str, h: Array) -> Array:
    """Fraction of units whose derivative is (nearly) gone, over the last axis.

    tanh: ``|h| > 0.97``; sigmoid: ``h`` outside ``[0.03, 0.97]``; relu: dead units (``h == 0``); leaky relu: the
    negative side; linear: never.
    """
    if name == "tanh":
        mask = np.abs(h) > 0.97
    elif name == "sigmoid":
        mask = (h < 0.03) | (h > 0.97)
    elif name in ("relu", "leaky_relu"):
        mask = h <= 0
    else:
        mask = np.zeros(h.shape, dtype=bool)
    return mask.mean(axis=-1)
