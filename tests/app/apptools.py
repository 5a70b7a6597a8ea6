"""Helpers for reading what an AppTest page shows (imported by the tests; fixtures live in conftest.py)."""

from streamlit.testing.v1 import AppTest

from ui.layout import ON_DEMAND


def regime_shown(at: AppTest) -> str:
    """The regime the verdict headline shows (vanishing / stable / exploding)."""
    for md in at.markdown:
        for regime in ("Vanishing", "Stable", "Exploding"):
            if md.value.startswith("## :") and regime in md.value:
                return regime.lower()
    raise AssertionError("no regime headline on the page")


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def reconnect(page: AppTest, session: AppTest) -> AppTest:
    """The first run of ``session``, a new session, as a browser showing ``page`` starts it after a server restart.

    The browser keeps the page and reconnects to a new session; its first rerun carries the page's URL and the state
    of every widget on it, a change the user just made included (``widget.set_value(...)`` on ``page``, not run).
    AppTest has no public call for a run with given widget states, hence ``_run`` and ``_tree``.
    """
    session.query_params = dict(page.query_params)
    return session._run(page._tree.get_widget_states())


def open_on_demand(at: AppTest) -> AppTest:
    """Open every expander whose content is drawn on demand (``ui.layout.on_demand``: "The math", the snippet) and
    run the page again, as a person clicking each of them sees it."""
    closed = [k for k in at.session_state if str(k).startswith(ON_DEMAND) and not at.session_state[k]]
    for k in closed:
        at.session_state[k] = True
    return at.run() if closed else at
