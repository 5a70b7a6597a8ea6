"""Sentences built from numbers that another language can say from the same numbers.

A :class:`Message` is the English sentence itself (a ``str``: a notebook prints it, a test compares it) that also
keeps its English template and the values it names. A user interface in another language looks the template up in
its own catalogue and formats the same values (``ui.i18n.tr``): the logic that picks a sentence lives once, here in
the core, and no language parses another's text.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class Message(str):
    """``template.format(**fields)``, remembering ``template`` and ``fields``.

    Fields may be numbers (formatted by the template's own specs, ``{rate:.3g}``), text, Messages (a clause
    whose words are translated too), or :class:`Verbatim` text (a name from a file, said as it is).

    Examples
    --------
    >>> m = Message("after {k} steps it is {size:.3g}", k=4, size=0.25)
    >>> m, m.template, m.fields["k"]
    ('after 4 steps it is 0.25', 'after {k} steps it is {size:.3g}', 4)
    >>> Message.join(" ", [m, Message("Done.")])
    'after 4 steps it is 0.25 Done.'
    """

    template: str
    fields: dict[str, Any]

    def __new__(cls, template: str, /, **fields: Any) -> Message:
        self = super().__new__(cls, template.format(**fields))
        self.template = template
        self.fields = fields
        return self

    def __reduce__(self) -> tuple:  # pickled (st.cache_data) with its template and fields, not as a bare str
        return _rebuild, (self.template, self.fields)

    @classmethod
    def join(cls, sep: str, parts: Iterable[str]) -> Message:
        """``sep.join(parts)`` as a Message whose fields are the parts (each translated on its own)."""
        parts = list(parts)
        return cls(sep.join(f"{{p{i}}}" for i in range(len(parts))), **{f"p{i}": p for i, p in enumerate(parts)})


class Verbatim(str):
    """Text quoted from outside the app (a file's tensor names, a library's error): a Message's field that every
    language says as it is, never translated and never given a decimal comma.

    Examples
    --------
    >>> Message("Tensor {name!r} is missing.", name=Verbatim("rnn.weight_hh_l0"))
    "Tensor 'rnn.weight_hh_l0' is missing."
    """

    __slots__ = ()


def _rebuild(template: str, fields: dict[str, Any]) -> Message:
    return Message(template, **fields)
