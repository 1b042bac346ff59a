"""Rich consoles shared by the CLI modules, and the one rule for printing data.

The rule: text that comes from data — concept names and ids, corpus labels, LLM output, file
paths, error messages that quote any of those — is never read as rich markup and never carries
terminal control characters to the terminal. In code:

- :func:`safe` makes one piece of data printable inside a markup string
  (``console.print(f"[bold]{safe(name)}[/]")``): control characters become visible escapes
  (:func:`visible`) and ``[`` that could open a markup tag is escaped.
- :class:`DataTable` is a rich ``Table`` whose every string (title, caption, headers, cells)
  is data; style a cell with :func:`styled` (a ``Text``, never parsed as markup).
- :func:`data_panel` and :func:`status` do the same for panels and spinners.
- :class:`LineProgress` is the progress display of long commands: on stderr, with data-safe
  task descriptions, and, where stderr is not a terminal (a log file, CI), one plain line per
  finished unit instead of a bar that would only appear at the end.
- :func:`print_json` / :func:`json_text` are the machine output of every ``--json``: strict
  JSON (NaN and infinities become ``null``) on stdout, nothing else on stdout.

``console`` (stdout) and ``err_console`` (stderr) also turn every control character of any
string they render into a visible escape (a net under the rule, not a replacement for it:
markup cannot be told apart from data there), and never replace ``:name:`` with emoji.
"""

from __future__ import annotations

import json
import math
import numbers
import re
from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.progress import Progress, ProgressColumn, TaskID
from rich.status import Status
from rich.table import Table
from rich.text import Text

#: C0 controls except TAB and LF, DEL, C1 controls (0x9b is a one-byte CSI on some
#: terminals), and the bidirectional overrides/isolates that reorder what a reader sees.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
#: The same set in JSON text, where C0 controls are already escaped by ``json.dumps``.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: object) -> str:
    """``text`` with every terminal control character (ESC, CR, NUL, BEL, C1, bidi
    overrides) shown as a ``\\xNN`` / ``\\uNNNN`` escape; TAB and newline are kept."""
    return _CONTROL.sub(_escape_char, str(text))


def safe(text: object) -> str:
    """``text`` as data inside a rich markup string: control characters made visible and
    markup escaped, so ``[/x]`` or ``[red]`` print literally."""
    return escape(visible(text))


def styled(text: object, style: str) -> Text:
    """A data string with a style of ours: a ``Text`` (its content is never markup)."""
    return Text(visible(text), style=style)


class _SafeConsole(Console):
    """A ``Console`` that makes control characters of every rendered string visible."""

    def render_str(self, text: str, **kwargs: Any) -> Text:
        return super().render_str(visible(text), **kwargs)


console: Console = _SafeConsole(emoji=False)
err_console: Console = _SafeConsole(stderr=True, emoji=False)


def _cell(value: Any) -> Any:
    return safe(value) if isinstance(value, str) else value


class DataTable(Table):
    """A rich ``Table`` for data: every string given to it is shown literally.

    Strings in the title, caption, column headers and cells are passed through :func:`safe`;
    a cell that needs a style of ours is given as :func:`styled` (or any renderable).
    """

    def __init__(
        self,
        *headers: Any,
        title: str | Text | None = None,
        caption: str | Text | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            *(_cell(h) for h in headers), title=_cell(title), caption=_cell(caption), **kwargs
        )

    def add_column(self, header: RenderableType = "", *args: Any, **kwargs: Any) -> None:
        for key in ("footer",):
            if key in kwargs:
                kwargs[key] = _cell(kwargs[key])
        super().add_column(_cell(header), *args, **kwargs)

    def add_row(self, *renderables: RenderableType | None, **kwargs: Any) -> None:
        super().add_row(*(_cell(r) for r in renderables), **kwargs)


def data_panel(text: object, *, title: object = None, fit: bool = True) -> Panel:
    """A panel around a data string (shown literally), with a data title."""
    body = safe(text)
    head = safe(title) if title is not None else None
    return Panel.fit(body, title=head) if fit else Panel(body, title=head)


def status(text: object, *, on: Console | None = None) -> Status:
    """A spinner (on stderr by default) whose message is data."""
    return (on or err_console).status(safe(text))


class LineProgress(Progress):
    """Progress bars for long commands, on stderr, that also work in a log file.

    Task descriptions are data (passed through :func:`safe`). Where the console is not a
    terminal, no live bar is drawn (rich would only print it once, at the end); instead a
    line ``DESCRIPTION: DONE/TOTAL`` is printed each time a task's ``completed`` grows by at
    least ``every`` (and when it reaches its total or its description changes). A task added
    with ``log=False`` prints no such lines (for tasks whose caller prints its own line per
    finished unit, e.g. the evaluation grid).
    """

    def __init__(
        self,
        *columns: str | ProgressColumn,
        console: Console | None = None,
        every: float = 1,
        **kwargs: Any,
    ) -> None:
        con = console or err_console
        self.log_lines = not con.is_terminal
        if self.log_lines:
            kwargs["disable"] = True
        super().__init__(*columns, console=con, **kwargs)
        self._every = max(every, 1)
        self._logged: dict[TaskID, float] = {}

    def add_task(
        self,
        description: str,
        start: bool = True,
        total: float | None = 100.0,
        completed: int = 0,
        visible: bool = True,
        **fields: Any,
    ) -> TaskID:
        fields.setdefault("log", True)
        task_id = super().add_task(safe(description), start, total, completed, visible, **fields)
        self._logged[task_id] = completed
        return task_id

    def update(
        self,
        task_id: TaskID,
        *,
        total: float | None = None,
        completed: float | None = None,
        advance: float | None = None,
        description: str | None = None,
        visible: bool | None = None,
        refresh: bool = False,
        **fields: Any,
    ) -> None:
        new_description = safe(description) if description is not None else None
        with self._lock:
            renamed = (
                new_description is not None and new_description != self._tasks[task_id].description
            )
        super().update(
            task_id,
            total=total,
            completed=completed,
            advance=advance,
            description=new_description,
            visible=visible,
            refresh=refresh,
            **fields,
        )
        self._line(task_id, renamed)

    def advance(self, task_id: TaskID, advance: float = 1) -> None:
        super().advance(task_id, advance)
        self._line(task_id, False)

    def _line(self, task_id: TaskID, renamed: bool) -> None:
        if not self.log_lines:
            return
        with self._lock:
            task = self._tasks[task_id]
            if not task.fields.get("log", True):
                return
            done, total, description = task.completed, task.total, task.description
        last = self._logged.get(task_id, 0)
        finished = total is not None and done >= total and done != last
        if not (renamed or finished or done - last >= self._every):
            return
        self._logged[task_id] = done
        count = f"{done:,.0f}/{total:,.0f}" if total is not None else f"{done:,.0f}"
        self.console.print(f"{description}: {count}", highlight=False)


def json_ready(obj: Any) -> Any:
    """``obj`` with every non-finite float (NaN, ±Infinity) replaced by ``None`` and numpy-style
    scalars turned into plain ``int``/``float``, recursively through mappings and sequences."""
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, int):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, numbers.Integral):
        return int(obj)
    if isinstance(obj, numbers.Real):
        value = float(obj)
        return value if math.isfinite(value) else None
    if isinstance(obj, Mapping):
        return {k if isinstance(k, str) else str(k): json_ready(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [json_ready(v) for v in obj]
    return obj


def json_text(obj: Any) -> str:
    """Strict JSON for ``obj`` (see :func:`json_ready`; other values via ``str``), one line,
    with terminal-unsafe characters (DEL, C1, bidi overrides) written as ``\\uNNNN``."""
    text = json.dumps(json_ready(obj), ensure_ascii=False, allow_nan=False, default=_json_default)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _json_default(value: Any) -> Any:
    ready = json_ready(value)
    return ready if ready is not value else str(value)


def print_json(obj: Any) -> None:
    """Print one strict JSON value on stdout, plain (no colour), for scripts."""
    print(json_text(obj), flush=True)


MAX_SKIPPED_SHOWN = 20


def print_skipped(skipped: Sequence[str]) -> None:
    """On stderr: the malformed corpus records a ``--lenient`` read skipped, one per line."""
    if not skipped:
        return
    err_console.print(
        f"[yellow]skipped {len(skipped)} malformed corpus record(s) (--lenient):[/]",
        highlight=False,
    )
    for line in skipped[:MAX_SKIPPED_SHOWN]:
        err_console.print(f"  {safe(line)}", highlight=False)
    if len(skipped) > MAX_SKIPPED_SHOWN:
        err_console.print(f"  ... and {len(skipped) - MAX_SKIPPED_SHOWN} more (--json)")
