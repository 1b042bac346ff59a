"""Rich consoles shared by the CLI modules."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console

console = Console()
err_console = Console(stderr=True)


def print_json(obj: Any) -> None:
    """Print one JSON object on stdout, plain (no colour), for scripts."""
    print(json.dumps(obj, ensure_ascii=False, indent=None, sort_keys=False, default=str))
