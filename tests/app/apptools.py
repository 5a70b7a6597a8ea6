"""Helpers for reading what an AppTest page shows (imported by the tests; fixtures live in conftest.py)."""

from streamlit.testing.v1 import AppTest


def regime_shown(at: AppTest) -> str:
    """The regime the verdict headline shows (vanishing / stable / exploding)."""
    for md in at.markdown:
        for regime in ("Vanishing", "Stable", "Exploding"):
            if md.value.startswith("## :") and regime in md.value:
                return regime.lower()
    raise AssertionError("no regime headline on the page")


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)
