"""AppTest fixtures: the dashboard driven server-side, as a user would through its widgets and URL."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

DASHBOARD = str(Path(__file__).resolve().parents[2] / "dashboard.py")

TIMEOUT = 120  # seconds per run: generous, the shared CI machine is slow and noisy


@pytest.fixture(autouse=True)
def no_warm_up(monkeypatch):
    """No background warm-up of the presets' views (ui.explorer_view.warm_up) while tests count computations."""
    monkeypatch.setenv("RNN_LAB_WARM", "0")


@pytest.fixture
def app():
    """A fresh dashboard session, not yet run (set query params first if needed)."""
    return AppTest.from_file(DASHBOARD, default_timeout=TIMEOUT)


@pytest.fixture
def new_session():
    """Another fresh dashboard session: the one a browser reconnects to after a server restart (see apptools)."""
    return AppTest.from_file(DASHBOARD, default_timeout=TIMEOUT)
