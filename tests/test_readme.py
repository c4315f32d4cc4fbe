"""The README starts with the two fresh-machine commands, and CI runs the second one."""
from __future__ import annotations

import re

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
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
          if line.strip() and not line.startswith(("#", "set ", "cd ", "export "))]
    assert ci == [_readme_commands()[1]]


def _python_block(marker: str) -> str:
    text = (ROOT / "README.md").read_text()
    blocks = [b for b in re.findall(r"```python\n(.*?)```", text, re.S) if marker in b]
    assert len(blocks) == 1, marker
    return blocks[0]


def test_replay_example_runs_as_written(capsys, monkeypatch):
    """The README's replay example answers from the bundled sample, with no network."""
    monkeypatch.chdir(ROOT)
    exec(compile(_python_block('ReplayTransport("pyfantasy/samples/'), "README.md", "exec"), {})
    assert "Olá" in capsys.readouterr().out
