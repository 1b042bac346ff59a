from typer.testing import CliRunner

from hilgen_graph.cli import app


def test_help_lists_command_groups() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for group in ("corpus", "graph", "data"):
        assert group in result.output
