"""The cells: one module per recurrent update rule, each with its forward step and, beside it, its backward step.

``base.py`` states the contract the engine relies on; ``elman.py`` is the vanilla RNN. A new cell is one new module
with a subclass of :class:`Cell` and its parameter class; see the README's "How the core is built".
"""

from .base import Cell, Theory
from .elman import Elman, Params

__all__ = ["Cell", "Elman", "Params", "Theory"]
