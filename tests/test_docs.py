"""Every command has help with an example, and the README shows every command."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from policy_search.cli import cli

from .conftest import ROOT

COMMANDS = ["ingest", "search", "docs", "show"]


@pytest.mark.parametrize("command", COMMANDS)
def test_command_help(command: str) -> None:
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0 and "Example" in result.output
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"policy-search {command}" in readme
