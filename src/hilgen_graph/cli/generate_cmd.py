"""CLI: `hilgen generate` commands."""

from __future__ import annotations

import typer


def register(root: typer.Typer) -> None:
    """Attach this module's commands to the root app."""
    group = typer.Typer(help="generate commands (being built)", no_args_is_help=True)
    root.add_typer(group, name="generate")
