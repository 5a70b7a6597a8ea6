"""End to end: the dashboard served by `streamlit run`, opened in headless Chromium as a person would.

Needs Debian's chromium at /usr/bin/chromium (or $CHROMIUM) and the playwright package; skips without them. The
screenshots go to $SCREENSHOT_DIR (default: a temporary folder) — look at them.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
CHART = ".vega-embed canvas, .vega-embed svg"

if not shutil.which(CHROMIUM):
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
            break
        except OSError:
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("streamlit did not start: " + proc.stderr.read().decode()[-2000:]) from None
            time.sleep(0.3)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        yield b
        b.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    out = os.environ.get("SCREENSHOT_DIR")
    path = Path(out) if out else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


def open_page(browser, url: str, shot: Path, min_charts: int):
    page = browser.new_page(viewport={"width": 1400, "height": 4000})
    page.goto(url)
    page.wait_for_selector("[data-testid=stMain]", timeout=60_000)
    page.wait_for_function(f"document.querySelectorAll('{CHART}').length >= {min_charts}", timeout=60_000)
    page.wait_for_timeout(800)  # let Vega finish drawing
    page.screenshot(path=str(shot), full_page=True)
    # a link to a path Streamlit does not serve still runs the main page, under a "Page not found" dialog
    assert page.locator("[role=dialog]", has_text="Page not found").count() == 0, url
    return page


@pytest.mark.parametrize("name, query, regime", [
    ("explorer_default", "", "Vanishing"),
    ("explorer_exploding", "?activation=linear&gain=1.3", "Exploding"),
    ("explorer_overflow", "?activation=linear&gain=3.0&seq_len=2000", "Exploding"),
    ("explorer_hello", "?input_kind=text&text=hello&seq_len=4&hidden_size=3", None),
])
def test_explorer_renders_charts_without_errors(server, browser, shots, name, query, regime):
    page = open_page(browser, f"{server}/{query}", shots / f"{name}.png", min_charts=6)
    try:
        assert page.locator("[data-testid=stException]").count() == 0
        main = page.locator("[data-testid=stMain]").inner_text()
        if regime:
            assert regime in main
        # the wide layout, whichever way Streamlit routed this first visit
        assert page.locator("[data-testid=stMainBlockContainer]").bounding_box()["width"] > 1000
        assert page.locator("[data-testid=stSidebarNav]").count() == 0  # no legacy pages/ list
        # every chart has a real size: nothing collapsed to zero width
        for box in page.locator(".vega-embed").all():
            bb = box.bounding_box()
            assert bb and bb["width"] > 200 and bb["height"] > 150
    finally:
        page.close()


@pytest.mark.parametrize("cell", ["leaky", "lstm", "gru", "lru"])
def test_every_cell_renders_in_the_explorer(server, browser, shots, cell):
    from rnn_core import Config, analyze
    page = open_page(browser, f"{server}/?cell={cell}", shots / f"explorer_{cell}.png", min_charts=5)
    try:
        assert page.locator("[data-testid=stException]").count() == 0
        main = page.locator("[data-testid=stMain]").inner_text()
        assert analyze(Config(cell=cell)).diagnosis.regime.capitalize() in main.replace("\n", "")
        for box in page.locator(".vega-embed").all():  # no chart collapsed or empty
            bb = box.bounding_box()
            assert bb and bb["width"] > 150 and bb["height"] > 150
    finally:
        page.close()


def test_compare_draws_every_network(server, browser, shots):
    page = open_page(browser, f"{server}/compare?compare=rnn,lstm,gru,lru-near-1", shots / "compare.png",
                     min_charts=5)  # the gradients and four heatmaps
    try:
        assert page.locator("[data-testid=stException]").count() == 0
        main = page.locator("[data-testid=stMain]").inner_text()
        for name in ("vanilla RNN, tanh", "LSTM, forget bias 1", "GRU", "LRU, |λ| in [0.99, 0.999]"):
            assert name in main
        assert page.locator("[data-testid=stDataFrame]").count() == 1
    finally:
        page.close()


def test_bad_link_warns_in_the_browser(server, browser, shots):
    page = open_page(browser, f"{server}/?gain=abc&activation=%3Cscript%3Ealert(1)%3C/script%3E",
                     shots / "explorer_bad_link.png", min_charts=6)
    try:
        assert page.locator("[data-testid=stException]").count() == 0
        assert page.locator("[data-testid=stAlertContentWarning]").count() >= 1
        assert page.locator("script:has-text('alert(1)')").count() == 0
    finally:
        page.close()


def test_moving_the_gain_updates_the_verdict(server, browser, shots):
    # zero input: the state is exactly 0, so one line stands in for the state and contribution charts (gradient,
    # eigenvalues and singular values remain)
    page = open_page(browser, f"{server}/?activation=linear&init=orthogonal&input_kind=zeros",
                     shots / "explorer_before_preset.png", min_charts=3)
    try:
        assert "Stable" in page.locator("[data-testid=stMain]").inner_text()
        assert "exactly 0 at every step" in page.locator("[data-testid=stMain]").inner_text()
        page.locator("[data-testid=stSidebar] [data-testid=stSelectbox]").first.click()
        page.get_by_role("option", name="Exploding: linear, gain above 1").click()
        page.wait_for_function("document.querySelector('[data-testid=stMain]').innerText.includes('Exploding')",
                               timeout=60_000)
        assert "gain=1.3" in page.url
        page.screenshot(path=str(shots / "explorer_after_preset.png"), full_page=True)
    finally:
        page.close()


@pytest.mark.parametrize("name, query", [
    ("regime_map_default", ""),
    ("regime_map_init_axis", "?axis=init&seeds=2&gain_points=24"),
])
def test_regime_map_renders_every_tab(server, browser, shots, name, query):
    page = open_page(browser, f"{server}/regime_map{query}", shots / f"{name}.png", min_charts=1)
    try:
        assert page.locator("[data-testid=stException]").count() == 0
        for i, tab in enumerate(page.get_by_role("tab").all()):
            tab.click()
            page.wait_for_timeout(1500)
            assert page.locator("[data-testid=stException]").count() == 0
            page.screenshot(path=str(shots / f"{name}_tab{i}.png"), full_page=True)
        assert page.locator(".vega-embed").count() >= 6
    finally:
        page.close()


@pytest.mark.parametrize("name, query, title", [("tour_en", "", "Guided tour"), ("tour_da", "?lang=da", "Guidet tur")])
def test_tour_renders_in_both_languages(server, browser, shots, name, query, title):
    page = open_page(browser, f"{server}/tour{query}", shots / f"{name}.png", min_charts=8)
    try:
        assert page.locator("[data-testid=stException]").count() == 0
        assert title in page.locator("h1").first.inner_text()
        page.wait_for_selector("[data-testid=stGraphVizChart] svg", timeout=30_000)  # the unfolded network
        links = page.locator("[data-testid=stPageLink] a").all()
        assert any("preset=" in (a.get_attribute("href") or "") for a in links)
    finally:
        page.close()


def test_navigation_keeps_the_settings(server, browser, shots):
    page = open_page(browser, f"{server}/?activation=relu&gain=2.5", shots / "nav_explorer.png",
                     min_charts=6)
    try:
        page.locator("[data-testid=stSidebar] a", has_text="Regime map").click()
        page.wait_for_function("location.pathname.endsWith('/regime_map')", timeout=30_000)
        page.wait_for_selector(CHART, timeout=120_000)
        assert "seq_len=100" in page.url and "axis=activation" in page.url
        page.locator("[data-testid=stSidebar] a", has_text="Explorer").click()
        page.wait_for_function("!location.pathname.endsWith('/regime_map')", timeout=30_000)  # the root
        page.wait_for_function("location.search.includes('gain=2.5')", timeout=30_000)
        assert "activation=relu" in page.url
    finally:
        page.close()


def test_a_map_cell_opens_its_network_in_the_explorer(server, browser, shots):
    # each cell of the regime map links to the Explorer with that cell's settings (ui.map_view.explorer_link). Once
    # the server has run a page, a fresh load of /explorer (the default page's own name) opens a "Page not found"
    # dialog over the Explorer (Streamlit 1.67): the link must go to the root. Run a page first, as a room does.
    open_page(browser, f"{server}/", shots / "map_warm_up.png", min_charts=6).close()
    page = open_page(browser, f"{server}/regime_map?gain_points=12&seeds=1", shots / "map_before_click.png",
                     min_charts=1)
    try:
        page.wait_for_timeout(1500)
        page.evaluate("window.__map_marker = 1")  # kept only if the Explorer opens without loading a new page
        box = page.locator(".vega-embed").first.bounding_box()
        page.mouse.click(box["x"] + box["width"] * 0.6, box["y"] + 30)  # a cell of the first row (tanh)
        page.wait_for_function("!location.pathname.endsWith('/regime_map')", timeout=30_000)
        page.wait_for_selector(CHART, timeout=60_000)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(shots / "map_cell_clicked.png"), full_page=True)
        assert page.locator("[role=dialog]", has_text="Page not found").count() == 0
        assert "activation=tanh" in page.url and "gain=" in page.url and "gain=1.0&" not in page.url
        assert page.locator("[data-testid=stException]").count() == 0
        # inside the session (no page load), and back on the map the click is not taken again
        assert page.evaluate("window.__map_marker") == 1
        page.locator("[data-testid=stSidebar] a", has_text="Regime map").click()
        page.wait_for_function("location.pathname.endsWith('/regime_map')", timeout=30_000)
        page.wait_for_selector(CHART, timeout=60_000)
        page.wait_for_timeout(3000)
        assert page.url.split("?")[0].endswith("/regime_map") and page.evaluate("window.__map_marker") == 1
    finally:
        page.close()
