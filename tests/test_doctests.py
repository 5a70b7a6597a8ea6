"""The examples in rnn_core's docstrings run and print what they say."""

import doctest
import importlib
import pkgutil

import pytest

import rnn_core

MODULES = ["rnn_core", *sorted(m.name for m in pkgutil.walk_packages(rnn_core.__path__, "rnn_core."))]  # cells/ too
WITH_EXAMPLES = [n for n in MODULES
                 if any(t.examples for t in doctest.DocTestFinder().find(importlib.import_module(n)))]


@pytest.mark.parametrize("name", WITH_EXAMPLES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
