"""Layout at three widths: a laptop (1440x900), a projector (1024x768) and a phone (390x844).

Every page, every preset and every cell, in a real browser: nothing spills sideways (neither the document nor
Streamlit's main pane scrolls horizontally), no chart ends past the window's right edge, is squeezed to a sliver or
cuts its own texts (axis labels, legends) at its edge, no metric's label or value is cut to an ellipsis, and the
Explorer's verdict keeps its regime on one line. A failing page leaves a screenshot in $SCREENSHOT_DIR.

Reuses the server, browser and screenshot fixtures of test_browser.py: one server and one browser for the module,
one browser context per width, one browser page per (page, width). Needs Debian's chromium and playwright.
"""

import pytest
from test_browser import browser, server, shots  # noqa: F401 (fixtures)

from rnn_core.presets import PRESETS

pytestmark = pytest.mark.browser

WIDTHS = {"laptop": (1440, 900), "projector": (1024, 768), "phone": (390, 844)}
PAGES = {
    "explorer": "/",
    **{f"preset-{p.slug}": f"/?preset={p.slug}" for p in PRESETS},
    **{f"cell-{c}": f"/?cell={c}" for c in ("leaky", "lstm", "gru", "lru")},  # the vanilla RNN is the default
    "regime_map": "/regime_map",
    "compare": "/compare?compare=rnn,lstm,gru,lru-near-1",
    "tour-en": "/tour",
    "tour-da": "/tour?lang=da",
    # Danish words are longer: the pages whose labels and legends are longest, in Danish
    "explorer-da": "/?lang=da",
    **{f"preset-{slug}-da": f"/?preset={slug}&lang=da" for slug in ("saturation", "lstm-carousel", "orthogonal")},
    **{f"cell-{c}-da": f"/?cell={c}&lang=da" for c in ("leaky", "lstm", "lru")},
    "regime_map-da": "/regime_map?lang=da",
    "compare-da": "/compare?compare=rnn,lstm,gru,lru-near-1&lang=da",
}
SLACK = 1  # px: sub-pixel rounding of the layout
MIN_CHART_WIDTH = 200  # px: narrower, a chart's plot is a sliver (the unit trajectories had ~90 px at 1024)

# True once the script has finished, every chart on screen has drawn, and their sizes held for one poll (Vega fits
# a chart to its column after its first draw). Charts in a hidden tab have no size and are left for their tab.
SETTLED = """() => {
    if (document.querySelector('[data-test-script-state]')?.getAttribute('data-test-script-state') !== 'notRunning')
        return false;
    const shown = [...document.querySelectorAll('[data-testid=stVegaLiteChart]')]
        .filter(c => c.getBoundingClientRect().width > 0);
    if (!shown.length || shown.some(c => !c.querySelector('canvas, svg'))) return false;
    const sizes = JSON.stringify(shown.map(c => [...c.querySelectorAll('.vega-embed, canvas, svg')]
        .map(e => { const r = e.getBoundingClientRect(); return [Math.round(r.right), Math.round(r.height)]; })));
    const same = window.__layoutSizes === sizes;
    window.__layoutSizes = sizes;
    return same;
}"""

# What spills: the document's and the main pane's overflow, every chart's right edge and width, the texts a chart
# draws past its own frame (Streamlit draws Vega as SVG, whose frame clips them: a legend wider than the chart lost
# its right column), and the metrics whose label or value is cut (their text is wider than its box). Rotated axis
# titles reach 2 px left of the frame with their glyph boxes, not with ink.
MEASURE = """() => {
    const main = document.querySelector('[data-testid=stMain]');
    const charts = [...document.querySelectorAll('[data-testid=stVegaLiteChart]')]
        .filter(c => c.getBoundingClientRect().width > 0)
        .map(c => {
            const boxes = [c, ...c.querySelectorAll('.vega-embed, canvas, svg')].map(e => e.getBoundingClientRect());
            const frame = c.querySelector('svg')?.getBoundingClientRect();
            const clipped = frame ? [...c.querySelectorAll('svg text')].filter(t => t.textContent.trim())
                .filter(t => { const r = t.getBoundingClientRect();
                               return r.right > frame.right + 1 || r.left < frame.left - 3; })
                .map(t => t.textContent) : [];
            return {right: Math.max(...boxes.map(b => b.right)), width: c.getBoundingClientRect().width, clipped};
        });
    const cut = [...document.querySelectorAll('[data-testid=stMetricLabel] *, [data-testid=stMetricValue] *')]
        .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.innerText);
    // the Explorer's verdict: the lines its regime's word takes (the heading's text, not its link icon)
    const regime = /^\\W*(Vanishing|Stable|Exploding|Forsvindende|Stabil|Eksploderende)$/;  // English, Danish
    const verdict = [...main.querySelectorAll('h2')].find(e => regime.test(e.innerText));
    let verdictLines = null;
    if (verdict) {
        const range = document.createRange();
        range.selectNodeContents(verdict.querySelector('[data-heading-text]') ?? verdict);
        verdictLines = new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
    }
    return {window: window.innerWidth, document: document.documentElement.scrollWidth,
            main: [main.scrollWidth, main.clientWidth], charts, cut, verdictLines,
            errors: document.querySelectorAll('[data-testid=stException]').length};
}"""


def settle(page) -> None:
    page.wait_for_function(SETTLED, polling=250, timeout=120_000)


def whole_page_shot(page, width: int, path) -> None:
    """A screenshot of the whole main pane (Streamlit scrolls it, not the document), up to 16,000 px high."""
    height = page.evaluate("document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": width, "height": min(height, 16_000)})
    page.screenshot(path=str(path))


def spills(m: dict) -> list[str]:
    """What is wider than the window in the measurement ``m`` (:data:`MEASURE`)."""
    w = m["window"]
    found = []
    if m["errors"]:
        found.append(f"{m['errors']} exception(s) on the page")
    if m["document"] > w + SLACK:
        found.append(f"the document is {m['document']} px wide in a {w} px window")
    if m["main"][0] > m["main"][1] + SLACK:
        found.append(f"the main pane scrolls sideways: {m['main'][0]} px of content in {m['main'][1]} px")
    for i, c in enumerate(m["charts"]):
        if c["right"] > w + SLACK:
            found.append(f"chart {i} ends at {c['right']:.0f} px, past the window's {w} px")
        if c["width"] < MIN_CHART_WIDTH:
            found.append(f"chart {i} is squeezed to {c['width']:.0f} px")
        if c["clipped"]:
            found.append(f"chart {i} cuts its texts at its edge: {c['clipped']}")
    if m["cut"]:
        found.append(f"metrics cut to an ellipsis: {m['cut']}")
    if m["verdictLines"] not in (None, 1):  # at 1024 px a 100 px column broke "Vanishing" into "Vanish / ing"
        found.append(f"the verdict's regime breaks over {m['verdictLines']} lines")
    return found


@pytest.fixture(scope="module")
def contexts(browser):  # noqa: F811
    """One browser context per width, shared by its pages: Streamlit's scripts load once per width, from the cache."""
    made = {name: browser.new_context(viewport={"width": w, "height": h}) for name, (w, h) in WIDTHS.items()}
    yield made
    for context in made.values():
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", PAGES)
def test_page_fits_the_window(server, contexts, shots, name, width):  # noqa: F811
    w, h = WIDTHS[width]
    page = contexts[width].new_page()
    try:
        page.goto(server + PAGES[name], wait_until="commit")  # SETTLED waits for the script and the charts
        settle(page)
        first = page.evaluate(MEASURE)
        found = spills(first)
        if PAGES[name].startswith("/?") or name == "explorer":
            assert first["verdictLines"] is not None, "no verdict on the Explorer"
        if name.startswith("regime_map"):  # every tab's charts, each drawn when its tab opens
            for i, tab in enumerate(page.get_by_role("tab").all()[1:], start=1):
                tab.click()
                settle(page)
                found += [f"tab {i}: {f}" for f in spills(page.evaluate(MEASURE))]
        if found:  # the whole page, for a person to look at
            whole_page_shot(page, w, shots / f"layout_{name}_{w}.png")
        assert not found, f"{name} at {w}x{h}: " + "; ".join(found)
    finally:
        page.close()



# Every formula of a page, with its "The math" expanders open: how far each overflows its box (px). One long line
# of math scrolled sideways inside its box on a phone, and some even at 1024 px; now each formula is a box of its
# own that wraps to the next line (ui.layout.formulas). KaTeX's glyphs may overhang their box by a pixel or two.
FORMULAS = """() => [...document.querySelectorAll('[data-testid=stMain] .katex')]
    .filter(e => e.getBoundingClientRect().width > 0)
    .map(e => { const box = e.closest('[data-testid=stElementContainer]') ?? e.parentElement;
                return [e.scrollWidth - box.clientWidth, e.innerText.replace(/\\s+/g, '').slice(0, 30)]; })
    .filter(([over]) => over > 3)"""


@pytest.mark.parametrize("width", ["phone", "projector"])
@pytest.mark.parametrize("name", ["explorer", "cell-leaky", "cell-lstm", "cell-gru", "cell-lru", "regime_map",
                                  "tour-en"])
def test_formulas_fit_their_box(server, contexts, name, width):  # noqa: F811
    page = contexts[width].new_page()
    try:
        page.goto(server + PAGES[name], wait_until="commit")
        settle(page)
        for summary in page.locator("[data-testid=stExpander] summary").all():
            if summary.is_visible():  # (not those in a tab that is not open)
                summary.click()  # the content is drawn on demand: the page reruns
                page.wait_for_timeout(300)
                settle(page)
        assert page.locator("[data-testid=stMain] .katex").count() > 0 or name == "regime_map"
        assert page.evaluate(FORMULAS) == [], f"{name} at {WIDTHS[width][0]} px"
    finally:
        page.close()
