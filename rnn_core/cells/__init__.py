"""The cells: one module per recurrent update rule, each with its forward step and, beside it, its backward step.

``base.py`` states the contract the engine relies on; ``elman.py`` is the vanilla RNN. A new cell is one new module
with a subclass of :class:`Cell` and its parameter class, registered in ``CELLS`` below; see the README's "How the
core is built".
"""

from __future__ import annotations

from typing import Any

from .base import Cell, Theory
from .elman import Elman, Params
from .gru import GRU, GRUParams
from .leaky import Leaky
from .lru import LRU, LRUParams
from .lstm import LSTM, LSTMParams

#: every cell a Config can name (``Config.cell``), by name
CELLS: dict[str, type[Cell]] = {cls.name: cls for cls in (Elman, Leaky, LSTM, GRU, LRU)}


def make_cell(config: Any) -> Cell:
    """The cell a configuration names, with its settings (``Config.cell``, ``activation``, ``leak``, ...)."""
    try:
        cls = CELLS[config.cell]
    except KeyError:
        raise ValueError(f"cell={config.cell!r} is not one of {', '.join(map(repr, CELLS))}") from None
    return cls.from_config(config)


__all__ = ["CELLS", "GRU", "LRU", "LSTM", "Cell", "Elman", "GRUParams", "LRUParams", "LSTMParams", "Leaky", "Params",
           "Theory", "make_cell"]
