"""The README's code runs as written."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_starts_with_the_two_commands():
    lines = README.read_text().splitlines()
    head = "\n".join(lines[:6])
    assert "streamlit run dashboard.py" in head and "python -m pytest" in head


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_python_blocks_run(code, tmp_path, monkeypatch):
    if "import torch" in code:  # a reference, not a dependency: those blocks run where torch is installed (CI)
        pytest.importorskip("torch")
    monkeypatch.chdir(tmp_path)  # files a block writes go to a temporary folder
    exec(compile(code, str(README), "exec"), {})
