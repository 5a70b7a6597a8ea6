"""Shared test set-up. In CI, the PyTorch reference and the browser must be present: a skip there would hide them."""

import os
import shutil

import pytest


def pytest_sessionstart(session):
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        missing = []
        try:
            import torch  # noqa: F401
        except ImportError:
            missing.append("torch (pip install torch==2.13.0)")
        try:
            import playwright  # noqa: F401
        except ImportError:
            missing.append("playwright (pip install playwright)")
        if not shutil.which(os.environ.get("CHROMIUM", "/usr/bin/chromium")):
            missing.append("chromium (apt-get install chromium)")
        if missing:
            raise pytest.UsageError("CI must run every test, but these are missing: " + ", ".join(missing))
