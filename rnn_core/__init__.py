"""rnn_core: a pure NumPy engine for seeing why RNN gradients vanish or explode.

>>> from rnn_core import Config, analyze
>>> result = analyze(Config(seq_len=100, hidden_size=64, gain=0.5))
>>> result.diagnosis.regime
'vanishing'
"""

from .activations import ACTIVATIONS, Activation, get_activation
from .analysis import Analysis, analyze
from .bptt import backward, gradients, jacobian_products, param_grads, step_contributions
from .cells import Cell, Elman
from .config import Config, parse_lenient
from .diagnosis import STABLE_TOL, Diagnosis
from .initializers import INITIALIZERS, init_matrix
from .inputs import INPUT_KINDS, make_inputs
from .rnn import Params, forward, init_inputs, init_params
from .spectra import lyapunov_spectrum, spectrum

__all__ = [
    "ACTIVATIONS",
    "INITIALIZERS",
    "INPUT_KINDS",
    "STABLE_TOL",
    "Activation",
    "Analysis",
    "Cell",
    "Config",
    "Diagnosis",
    "Elman",
    "Params",
    "analyze",
    "backward",
    "forward",
    "get_activation",
    "gradients",
    "init_inputs",
    "init_matrix",
    "init_params",
    "jacobian_products",
    "lyapunov_spectrum",
    "make_inputs",
    "param_grads",
    "parse_lenient",
    "spectrum",
    "step_contributions",
]
