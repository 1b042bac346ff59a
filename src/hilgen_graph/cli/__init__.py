"""The ``hilgen`` command: thin wrappers over library functions; only this package prints.

Each module of this package owns one command group and exposes ``register(root)``.
"""

from __future__ import annotations

import sys

import typer

from hilgen_graph.cli import (
    augment_cmd,
    check_cmd,
    corpus_cmd,
    data_cmd,
    demo_cmd,
    evaluate_cmd,
    generate_cmd,
    graph_cmd,
    llm_cmd,
    prompts_cmd,
    report_cmd,
)
from hilgen_graph.cli.console import err_console, safe
from hilgen_graph.errors import HilgenError

app = typer.Typer(
    name="hilgen",
    help="Few-shot biomedical NER augmented with knowledge-graph-grounded synthetic sentences.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

for _module in (
    data_cmd,
    corpus_cmd,
    graph_cmd,
    augment_cmd,
    llm_cmd,
    prompts_cmd,
    generate_cmd,
    check_cmd,
    evaluate_cmd,
    report_cmd,
    demo_cmd,
):
    _module.register(app)


def main() -> None:
    """Entry point: run the app and turn toolkit errors into a readable message and exit 1.

    The message is data (it quotes ids, names, paths): printed through ``safe``. LangSmith
    tracing is switched off before any command runs (``HILGEN_LLM_TRACING=1`` opts in).
    """
    from hilgen_graph.llm.models import disable_tracing

    disable_tracing()
    try:
        app()
    except HilgenError as err:
        err_console.print(f"[bold red]error:[/] {safe(err)}", highlight=False)
        sys.exit(1)
