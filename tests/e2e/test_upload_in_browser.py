"""Your model in a real browser: a file is uploaded through the page's file input, at three widths, and the page
shows the model's verdict and charts, fitting the window; a pickle is refused with a message.

Reuses the fixtures of test_browser.py and the measurements of test_layout.py. Needs Debian's chromium and
playwright; the model is written with safetensors' NumPy API (no torch needed).
"""

import numpy as np
import pytest
from test_browser import browser, server, shots  # noqa: F401 (fixtures)
from test_layout import MEASURE, WIDTHS, settle, spills, whole_page_shot

pytestmark = pytest.mark.browser


def lstm_file() -> bytes:
    """An LSTM of 24 units with 5 inputs, as torch.nn.LSTM's state dict in float32."""
    from safetensors.numpy import save
    rng = np.random.default_rng(7)
    N, D = 24, 5
    return save({"rnn.weight_ih_l0": rng.normal(0, 0.4, (4 * N, D)).astype(np.float32),
                 "rnn.weight_hh_l0": rng.normal(0, 0.4, (4 * N, N)).astype(np.float32),
                 "rnn.bias_ih_l0": rng.normal(0, 0.1, 4 * N).astype(np.float32),
                 "rnn.bias_hh_l0": rng.normal(0, 0.1, 4 * N).astype(np.float32),
                 "decoder.weight": np.zeros((3, N), np.float32)})


def upload(page, name: str, data: bytes) -> None:
    page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(
        files=[{"name": name, "mimeType": "application/octet-stream", "buffer": data}])


@pytest.mark.parametrize("width", WIDTHS)
def test_an_uploaded_lstm_is_diagnosed_and_fits_the_window(server, browser, shots, width):  # noqa: F811
    w, h = WIDTHS[width]
    page = browser.new_page(viewport={"width": w, "height": h})
    try:
        page.goto(server + "/your_model")
        page.get_by_text("Upload a file to begin").wait_for(timeout=60_000)
        upload(page, "my_lstm.safetensors", lstm_file())
        page.get_by_text("your LSTM: N = 24, 5 inputs, T = 100").wait_for(timeout=120_000)
        settle(page)
        found = spills(page.evaluate(MEASURE))
        main = page.locator("[data-testid=stMain]")
        assert main.get_by_text("Converted to float64: 5 from float32 (of 5 tensors).").count() == 1
        assert main.locator("h2").filter(has_text="Vanishing").count() + \
            main.locator("h2").filter(has_text="Stable").count() + \
            main.locator("h2").filter(has_text="Exploding").count() == 1
        assert main.get_by_text("Reproduce in code").count() >= 1
        whole_page_shot(page, w, shots / f"your_model_{w}.png")
        assert not found, f"your model at {w}x{h}: " + "; ".join(found)
    finally:
        page.close()


def test_a_pickle_is_refused_in_the_browser(server, browser, shots):  # noqa: F811
    import pickle
    page = browser.new_page(viewport={"width": 1024, "height": 768})
    try:
        page.goto(server + "/your_model")
        page.get_by_text("Upload a file to begin").wait_for(timeout=60_000)
        upload(page, "model.safetensors", pickle.dumps({"weight_hh_l0": [[1.0]]}))
        page.get_by_text("This file cannot be used:").wait_for(timeout=60_000)
        assert page.get_by_text("This is a Python pickle").count() == 1
        assert page.locator("[data-testid=stException]").count() == 0
        page.screenshot(path=str(shots / "your_model_pickle.png"))
    finally:
        page.close()
