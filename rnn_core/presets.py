"""Named starting points for workshops: each a full configuration and the regime it is meant to show."""

from __future__ import annotations

from dataclasses import dataclass

from .config import Config


@dataclass(frozen=True)
class Preset:
    """A named configuration.

    Attributes
    ----------
    slug : str — the preset's name in links (``?preset=edge-of-chaos``).
    name : str — shown in the preset menu.
    blurb : str — one line on what to look for.
    config : Config — every setting (a preset sets them all, so nothing lingers from before).
    expected : str — the regime the preset is meant to show ('vanishing', 'stable' or 'exploding'); tests hold
        the core to it.
    """

    slug: str
    name: str
    blurb: str
    config: Config
    expected: str


PRESETS: tuple[Preset, ...] = (
    Preset("vanishing", "Vanishing: tanh, small gain",
           "γ·σ_max < 1: the Pascanu bound forces the gradient to shrink at every step.",
           Config(activation="tanh", init="normal", gain=0.5, input_kind="noise", seq_len=100), "vanishing"),
    Preset("exploding-linear", "Exploding: linear, gain above 1",
           "No nonlinearity to tame it: the gradient grows like g^(T−t).",
           Config(activation="linear", init="normal", gain=1.3, input_kind="noise", seq_len=100), "exploding"),
    Preset("exploding-relu", "Exploding: relu, gain above 1",
           "ReLU passes the growth through on its active units.",
           Config(activation="relu", init="normal", gain=2.5, input_kind="noise", seq_len=100), "exploding"),
    Preset("edge-of-chaos", "Edge of chaos: tanh, gain 1",
           "A small input (noise of scale 0.01) keeps the states near 0, where tanh' ≈ 1, and W has spectral radius "
           "≈ 1: the gradient neither dies nor blows up. With the default input (scale 1) the units leave tanh's "
           "linear range and the same network vanishes.",
           Config(activation="tanh", init="normal", gain=1.0, input_kind="noise", input_scale=0.01, seq_len=100),
           "stable"),
    Preset("saturation", "Saturation: tanh, large gain — the states saturate and the gradient dies",
           "σ_max is large, yet act' ≈ 0 on saturated units: strong inputs push tanh to ±1 and the gradient vanishes.",
           Config(activation="tanh", init="normal", gain=3.0, input_kind="noise", input_scale=10.0,
                  input_size=64, seq_len=100), "vanishing"),
    Preset("orthogonal", "Orthogonal rescue",
           "An orthogonal W keeps every singular value at 1, and a small input (noise of scale 0.01) keeps tanh near "
           "its linear range: the gradient changes by less than 1% per step. With the default input (scale 1) the "
           "units saturate, break that isometry, and the gradient vanishes.",
           Config(activation="tanh", init="orthogonal", gain=1.0, input_kind="noise", input_scale=0.01, seq_len=200),
           "stable"),
    Preset("irnn", "IRNN: relu + identity",
           "Le et al. 2015: W = I with ReLU copies the state forward, so the gradient survives long sequences.",
           Config(activation="relu", init="identity", gain=1.0, input_kind="noise", input_scale=0.1,
                  bias_scale=0.0, seq_len=200), "stable"),
    Preset("hello", "The article's example: 'hello'",
           "h, e, l, l in, one-hot: a 4-step RNN like the article's, predicting the next letter.",
           Config(activation="tanh", init="normal", gain=1.0, input_kind="text", text="hello", seq_len=4,
                  hidden_size=3), "vanishing"),
    # The cures (the gated and linear cells): each keeps or loses the gradient for the reason its line gives.
    Preset("lstm-carousel", "LSTM: forget bias 3 keeps the gradient",
           "Along the cell state the gradient is multiplied only by the forget gates, σ(3) ≈ 0.95 per step at the "
           "start: the carousel (dotted) fades slowly, and the whole gradient stays stable over 200 steps.",
           Config(cell="lstm", forget_bias=3.0, input_scale=0.5, seq_len=200), "stable"),
    Preset("lstm-chrono", "LSTM: chrono initialization",
           "Tallec & Ollivier 2018: forget biases log U(1, T − 1) give each unit its own memory up to T steps.",
           Config(cell="lstm", forget_init="chrono", input_scale=0.5, seq_len=200), "stable"),
    Preset("gru-default", "GRU: update gates near ½ forget",
           "With no bias the update gate z sits near 0.5: copying half the state per step still halves the gradient.",
           Config(cell="gru", input_scale=0.5, seq_len=200), "vanishing"),
    Preset("leaky", "Leaky RNN: α = 0.05",
           "Each step keeps 95% of the state: the Jacobian is close to the identity and the gradient fades slowly.",
           Config(cell="leaky", leak=0.05, input_scale=0.5, seq_len=200), "stable"),
    Preset("lru-near-1", "LRU: |λ| near 1, a long memory",
           "A linear diagonal recurrence: the gradient is exactly max|λ|^(T−t), never explodes, and |λ| ≈ 0.999 "
           "keeps it for hundreds of steps.",
           Config(cell="lru", r_min=0.99, r_max=0.999, seq_len=200), "stable"),
)

PRESETS_BY_NAME: dict[str, Preset] = {p.name: p for p in PRESETS}
PRESETS_BY_SLUG: dict[str, Preset] = {p.slug: p for p in PRESETS}


def preset_for(config: Config) -> Preset | None:
    """The preset whose settings ``config`` has exactly (so a page can show its line), or None."""
    return next((p for p in PRESETS if p.config == config), None)


@dataclass(frozen=True)
class Variant:
    """One column of a comparison: a name and the settings it changes on the shared base configuration."""

    slug: str
    name: str
    changes: tuple[tuple[str, object], ...]

    def config(self, base: Config) -> Config:
        return base.replace(**dict(self.changes))


VARIANTS: tuple[Variant, ...] = (
    Variant("rnn", "vanilla RNN, tanh", (("cell", "rnn"), ("activation", "tanh"))),
    Variant("rnn-relu", "vanilla RNN, relu", (("cell", "rnn"), ("activation", "relu"))),
    Variant("rnn-orthogonal", "vanilla RNN, orthogonal W_hh", (("cell", "rnn"), ("activation", "tanh"),
                                                               ("init", "orthogonal"))),
    Variant("leaky", "leaky RNN, α = 0.1", (("cell", "leaky"), ("activation", "tanh"), ("leak", 0.1))),
    Variant("lstm", "LSTM, forget bias 1", (("cell", "lstm"), ("forget_init", "constant"), ("forget_bias", 1.0))),
    Variant("lstm-chrono", "LSTM, chrono init", (("cell", "lstm"), ("forget_init", "chrono"))),
    Variant("gru", "GRU", (("cell", "gru"),)),
    Variant("lru", "LRU, |λ| in [0.5, 0.99]", (("cell", "lru"), ("r_min", 0.5), ("r_max", 0.99))),
    Variant("lru-near-1", "LRU, |λ| in [0.99, 0.999]", (("cell", "lru"), ("r_min", 0.99), ("r_max", 0.999))),
)
VARIANTS_BY_SLUG = {v.slug: v for v in VARIANTS}


@dataclass(frozen=True)
class Comparison:
    """A named comparison: the variants side by side and the base settings they share."""

    slug: str
    name: str
    variants: tuple[str, ...]
    base: Config


COMPARISONS: tuple[Comparison, ...] = (
    Comparison("gated", "Vanilla tanh vs LSTM vs GRU at T = 200", ("rnn", "lstm", "gru"),
               Config(seq_len=200, gain=1.0, input_scale=0.5)),
    Comparison("orthogonal", "Gaussian vs orthogonal W_hh", ("rnn", "rnn-orthogonal"),
               Config(seq_len=200, gain=1.0, input_scale=0.1)),
    Comparison("relu", "tanh vs relu", ("rnn", "rnn-relu"), Config(seq_len=100, gain=1.0)),
    Comparison("lru", "LRU with |λ| near 1 vs vanilla tanh", ("lru-near-1", "lru", "rnn"), Config(seq_len=500)),
    Comparison("leaky", "Leaky vs vanilla RNN", ("rnn", "leaky"), Config(seq_len=200, gain=1.0)),
)
COMPARISONS_BY_SLUG = {c.slug: c for c in COMPARISONS}
