"""Input sequences ``x`` of shape ``(T, B, D)``: time first, as in PyTorch's ``nn.RNN``."""

from __future__ import annotations

import numpy as np

Array = np.ndarray

INPUT_KINDS = ("zeros", "noise", "impulse", "sine", "text")
SINE_PERIOD = 25.0  # steps per cycle: slow enough to see in a trajectory, fast enough to repeat within T = 100


def vocabulary(text: str) -> list[str]:
    """The sorted distinct characters of ``text``: one input unit each (``'hello'`` -> ``['e', 'h', 'l', 'o']``)."""
    return sorted(set(text))


def make_inputs(
    kind: str, T: int, B: int, D: int, scale: float, rng: np.random.Generator, text: str = "hello"
) -> Array:
    """Build an input sequence.

    Parameters
    ----------
    kind : {'zeros', 'noise', 'impulse', 'sine', 'text'}
        ``noise``: ``N(0, scale^2)`` i.i.d.; ``impulse``: ``scale / sqrt(D)`` on every unit at ``t = 1``, zero after;
        ``sine``: ``scale * sin(2 pi t / 25 + phase_d)`` with a phase per input unit; ``text``: one-hot characters of
        ``text`` (times ``scale``), repeated to length ``T``, sequence ``b`` starting at character ``b``.
    T, B, D : int
        Steps, sequences and input units. For ``text``, ``D`` is ignored: it is the vocabulary size.
    scale : float
        Amplitude.
    rng : numpy.random.Generator
        Used by ``noise`` only.

    Returns
    -------
    x : ndarray, shape (T, B, D) — ``x[t - 1]`` is the input at step t.

    Examples
    --------
    >>> import numpy as np
    >>> make_inputs("text", 4, 1, 0, 1.0, np.random.default_rng(0), text="hello")[:, 0]
    array([[0., 1., 0., 0.],
           [1., 0., 0., 0.],
           [0., 0., 1., 0.],
           [0., 0., 1., 0.]])
    """
    if kind == "zeros":
        return np.zeros((T, B, D))
    if kind == "noise":
        return rng.normal(0.0, scale, size=(T, B, D))
    if kind == "impulse":
        x = np.zeros((T, B, D))
        x[0] = scale / np.sqrt(D)
        return x
    if kind == "sine":
        t = np.arange(1, T + 1)[:, None, None]
        phase = 2 * np.pi * np.arange(D) / D
        return np.broadcast_to(scale * np.sin(2 * np.pi * t / SINE_PERIOD + phase), (T, B, D)).copy()
    if kind == "text":
        if not text:
            raise ValueError("text='' is empty: the text input needs at least one character")
        vocab = vocabulary(text)
        index = np.array([vocab.index(c) for c in text])
        pos = (np.arange(T)[:, None] + np.arange(B)[None, :]) % len(text)  # (T, B): character read at step t
        return scale * np.eye(len(vocab))[index[pos]]
    allowed = ", ".join(repr(k) for k in INPUT_KINDS)
    raise ValueError(f"input_kind={kind!r} is not one of {allowed}")
