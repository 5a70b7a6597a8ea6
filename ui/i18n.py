"""The page's language: English templates looked up in a catalogue, numbers with the language's decimal mark.

The English text is the key (``tr("Gradient norm across time")``, ``tr("after {k} steps", k=4)``), so the code reads
as English and the English catalogue is exactly the set of keys of ``ui.text.da.MESSAGES``. A sentence the core builds
from numbers is a :class:`rnn_core.message.Message` (English, with its template and values): ``tr(message)`` says it
in the page's language from the same values. No Streamlit here: the language is set per script run
(:func:`set_language`, by ``ui.layout.page_setup``) in a context variable, which each session's script thread has
of its own, and :func:`using` sets it for a block (a test, a caption built in another language).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from rnn_core.message import Message, Verbatim

from .text import MESSAGES, TEXTS

DEFAULT = "en"
_LANG: ContextVar[str] = ContextVar("lang", default=DEFAULT)
DECIMAL = {lang: text["decimal"] for lang, text in TEXTS.items()}  # the decimal mark of every language
MISSING: set[str] = set()  # templates asked for in a language whose catalogue lacks them (the tests read it)
_DECIMAL_POINT = re.compile(r"(?<=\d)\.(?=\d)")  # 1.5, 8.3e-48: a number's decimal point, never a full stop
_WORDS = re.compile(r"[A-Za-z]{2,}")


def language() -> str:
    """The language of the page being drawn (``'en'`` or ``'da'``)."""
    return _LANG.get()


def set_language(lang: str) -> None:
    _LANG.set(lang if lang in DECIMAL else DEFAULT)


@contextmanager
def using(lang: str) -> Iterator[None]:
    """Draw or build text in ``lang`` inside the block."""
    token = _LANG.set(lang)
    try:
        yield
    finally:
        _LANG.reset(token)


def bound(func: Callable[..., str]) -> Callable[..., str]:
    """``func`` (a widget's ``format_func``) with the page's language of now: Streamlit may call it outside the
    script run (AppTest does), where the language would be the default."""
    lang = language()

    def in_language(*args: Any) -> str:
        with using(lang):
            return func(*args)
    return in_language


def decimal_text(text: str) -> str:
    """``text`` with every number's decimal point in the page's language (``'0.95'`` -> ``'0,95'`` in Danish)."""
    mark = DECIMAL[language()]
    return text if mark == "." else _DECIMAL_POINT.sub(mark, text)


def num(value: float, spec: str = "g") -> str:
    """``format(value, spec)`` in the page's language: Danish has a decimal comma and a thousands point."""
    text = format(value, spec)
    return text if language() == "en" else text.translate(str.maketrans({".": ",", ",": "."}))


class _Number:
    """A number field of a template, formatted by the template's spec in the page's language."""

    def __init__(self, value: float) -> None:
        self.value = value

    def __format__(self, spec: str) -> str:
        return num(self.value, spec)


def _field(value: Any) -> Any:
    if isinstance(value, (bool, Verbatim)) or value is None:  # a name from a file: as it is, in every language
        return value
    if isinstance(value, str):
        return tr(value) if isinstance(value, Message) or value in _catalogue() else decimal_text(value)
    if isinstance(value, (int, float)):
        return _Number(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_field(v) for v in value)
    return value


def _catalogue() -> dict[str, str]:
    return MESSAGES.get(language(), {})


def tr(template: str, /, **fields: Any) -> str:
    """``template`` (English) in the page's language, formatted with ``fields``; a :class:`Message` is said from
    its own template and fields. In English this is ``template.format(**fields)``. Numbers take the language's
    decimal mark; a text field that is itself a catalogue entry (a regime's name, 'update gate') is translated."""
    if isinstance(template, Message) and not fields:
        template, fields = template.template, template.fields
    if language() == DEFAULT:
        return template.format(**fields) if fields else str(template)
    said = _catalogue().get(template)
    if said is None:
        if _WORDS.search(re.sub(r"\{[^}]*\}", "", template)):
            MISSING.add(template)
        said = template
    return said.format(**{k: _field(v) for k, v in fields.items()}) if fields else said


def tr_map(values: dict[Any, str]) -> dict[Any, str]:
    """A dict of English labels in the page's language (a ``format_func``'s table)."""
    return {k: tr(v) for k, v in values.items()}
