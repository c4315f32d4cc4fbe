"""The README starts with the two fresh-machine commands, and CI runs the second one."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

from helpers import ROOT


def _readme_commands():
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```(?:sh|bash)\n(.*?)```", text, re.S)
    assert block, "the README starts with a shell block"
    assert text.index(block.group(0)) < text.index("\n## "), "the commands come before any section"
    return [line for line in block.group(1).splitlines() if line.strip() and not line.startswith("#")]


def test_readme_starts_with_two_commands():
    cmds = _readme_commands()
    assert len(cmds) == 2
    assert "pyfantasy decode" in cmds[0] and "pip install" in cmds[0]
    assert "pytest" in cmds[1] and "pip install" in cmds[1]


def test_ci_runs_the_readme_test_command():
    """CI installs the Go oracle's toolchain first, then runs exactly the README's command."""
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
          if line.strip() and not line.startswith(("#", "set ", "cd ", "export "))]
    assert ci == ["scripts/install_go.sh", _readme_commands()[1]]


def _python_blocks():
    return re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)


BLOCKS = _python_blocks()
# what a block prints, when it says what it should (the rest must simply run)
EXPECTED = {'ReplayTransport("pyfantasy/samples/openai_chat_simple.yaml"))': "Olá",
            "httpx2.Client(transport=ReplayTransport(path))": "Florence",
            'read_cassettes_dataframe(["pyfantasy/samples"])': "output_tokens",
            'decode_cassette("pyfantasy/samples/openai_chat_simple.yaml")': "Olá! Tudo bem?"}


def _block_id(code: str) -> str:
    return next((line for line in code.splitlines() if line and not line.startswith(("import", "from"))),
                "block")[:40]


@pytest.mark.parametrize("code", BLOCKS, ids=[_block_id(b) for b in BLOCKS])
def test_python_example_runs_as_written(code, tmp_path):
    """Each Python example of the README runs as written, from the repository's root with the
    installed package, in a fresh interpreter (a test module under pytest, as the README says)."""
    if "def test_" in code:
        (tmp_path / "test_chat.py").write_text(code)
        cmd = [sys.executable, "-m", "pytest", str(tmp_path / "test_chat.py"), "--cassette-dir",
               "pyfantasy/samples", "-q", "-p", "no:cacheprovider"]
    else:
        cmd = [sys.executable, "-c", code]
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    for marker, expected in EXPECTED.items():
        if marker in code:
            assert expected in r.stdout, r.stdout[-2000:]


def test_every_block_is_tested():
    assert len(BLOCKS) >= 8 and all(any(m in b for b in BLOCKS) for m in EXPECTED)
