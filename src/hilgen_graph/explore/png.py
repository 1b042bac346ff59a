"""A layered drawing of an exploration (``hilgen graph explore ... --out FILE.png``).

For each linked concept: its parents in a row above it, its children in rows below, its siblings
in a block beside it, and its synonyms and same-semantic-type concepts as lists at the sides.
Only picked related concepts are drawn (what the arms use); each layer shows at most
:data:`MAX_DRAWN` boxes or lines and ends with "and N more"; excluded candidates are counted per
filter under the drawing. Colours are the layer colours of :data:`LAYER_COLOURS`, shared with the
HTML page. Names come from the graph: they are drawn as plain text (no mathtext).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final

from hilgen_graph.atomic import write_with
from hilgen_graph.explore.style import CENTRE_COLOUR, LAYER_COLOURS, LAYER_TITLES

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from hilgen_graph.explore.explorer import Exploration, ExploredNode, Neighbourhood

MAX_DRAWN: Final = 10  # boxes (or list lines) per layer before "and N more"
PER_ROW: Final = 5  # parent/child boxes per row
SIBLING_COLS: Final = 3
ROW: Final = 1.15  # height of one row of boxes
TITLE: Final = 0.75  # height of a band's title line
GAP: Final = 0.45  # between bands
LIST_LINE: Final = 0.42
WRAP: Final = 22  # characters per line inside a box
MIDDLE: Final = (19.0, 81.0)  # x range of the bands; the lists sit left and right of it


def _capped(items: Sequence[ExploredNode], cap: int = MAX_DRAWN) -> tuple[list[ExploredNode], int]:
    """At most ``cap`` entries; when more, ``cap - 1`` entries and the number left over."""
    if len(items) <= cap:
        return list(items), 0
    return list(items[: cap - 1]), len(items) - (cap - 1)


def _plain(text: str) -> str:
    """Text drawn verbatim: matplotlib would read ``$...$`` as mathtext."""
    return text.replace("$", r"\$")


def _box_text(name: str, cid: str) -> str:
    lines = textwrap.wrap(name, WRAP) or [""]
    if len(lines) > 2:
        lines = [lines[0], lines[1][: WRAP - 1] + "…"]
    return _plain("\n".join(lines) + f"\n{cid}")


def _box(ax: Axes, x: float, y: float, text: str, colour: str, *, bold: bool = False) -> None:
    ax.text(
        x,
        y,
        text,
        ha="center",
        va="center",
        fontsize=9 if bold else 7.5,
        fontweight="bold" if bold else "normal",
        bbox={"boxstyle": "round,pad=0.35", "fc": colour, "ec": "#555555",
              "lw": 1.6 if bold else 0.8},
        zorder=3,
    )  # fmt: skip


def _more(ax: Axes, x: float, y: float, n: int) -> None:
    ax.text(x, y, f"and {n} more", ha="center", va="center", fontsize=7.5, style="italic",
            color="#444444", zorder=3)  # fmt: skip


def _slots(items: Sequence[ExploredNode]) -> list[ExploredNode | int]:
    shown, more = _capped(items)
    return [*shown, *([more] if more else [])]


def _picked(nb: Neighbourhood) -> dict[str, list[ExploredNode]]:
    out: dict[str, list[ExploredNode]] = {}
    for n in nb.nodes():
        if n.status == "picked":
            out.setdefault(n.layer, []).append(n)
    return out


def _rows(nb: Neighbourhood) -> tuple[int, int, int, int]:
    """Rows of parents, sibling rows, child rows (each at least 1) and list lines."""
    slots = {k: len(_slots(v)) for k, v in _picked(nb).items()}
    p_rows = max(1, math.ceil(slots.get("parents", 0) / PER_ROW))
    c_rows = max(1, math.ceil(slots.get("children", 0) / PER_ROW))
    s_rows = max(1, math.ceil(slots.get("siblings", 0) / SIBLING_COLS))
    lines = max(slots.get("synonyms", 0), slots.get("semantic_type", 0))
    return p_rows, s_rows, c_rows, lines


def _block_height(nb: Neighbourhood) -> float:
    p_rows, s_rows, c_rows, lines = _rows(nb)
    middle = (p_rows + s_rows + c_rows) * ROW + 3 * TITLE + 2 * GAP
    side = (lines + 2) * LIST_LINE + 0.6
    return max(middle, side) + 1.5  # + the footer of excluded counts


def _excluded_line(nb: Neighbourhood) -> str:
    parts = []
    for layer, c in nb.counts().items():
        if c["excluded"]:
            why = ", ".join(f"{r} {n}" for r, n in c["excluded"].items())
            parts.append(f"{LAYER_TITLES.get(layer, layer)}: {why}")
    return "excluded by the filters — " + ("; ".join(parts) if parts else "none")


def _draw_list(
    ax: Axes, x: float, top: float, layer: str, items: Sequence[ExploredNode], note: str
) -> None:
    colour = LAYER_COLOURS[layer]
    ax.text(x, top, _plain(f"{LAYER_TITLES[layer]} ({note})"), ha="left", va="top",
            fontsize=8.5, fontweight="bold", color="#222222",
            bbox={"boxstyle": "round,pad=0.3", "fc": colour, "ec": "none"})  # fmt: skip
    y = top - 0.75
    for item in _slots(items):
        if isinstance(item, int):
            ax.text(x + 0.3, y, f"and {item} more", ha="left", va="top", fontsize=7.5,
                    style="italic", color="#444444")  # fmt: skip
            continue
        label = item.name if len(item.name) <= 34 else item.name[:33] + "…"
        suffix = "" if item.concept_id == item.centre_id else f"  {item.concept_id}"
        ax.text(x + 0.3, y, _plain(f"• {label}{suffix}"), ha="left", va="top", fontsize=7.5)
        y -= LIST_LINE
    if not items:
        ax.text(x + 0.3, y, "(none picked)", ha="left", va="top", fontsize=7.5, color="#777777")


def _band(
    ax: Axes, left: float, right: float, top: float, height: float, layer: str, note: str
) -> None:
    """A light frame in the layer's colour with its title at the top left."""
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(
        FancyBboxPatch(
            (left, top - height), right - left, height,
            boxstyle="round,pad=0.05,rounding_size=0.3",
            fc=LAYER_COLOURS[layer], ec="none", alpha=0.22, zorder=0,
        )
    )  # fmt: skip
    ax.text(left + 0.5, top - 0.12, _plain(f"{LAYER_TITLES[layer]} ({note})"), ha="left",
            va="top", fontsize=8, fontweight="bold", color="#333333", zorder=2)  # fmt: skip


def _fill(ax: Axes, slots: list[ExploredNode | int], left: float, right: float, top: float,
          cols: int, colour: str, empty: str) -> None:  # fmt: skip
    if not slots:
        ax.text((left + right) / 2, top - ROW / 2, empty, ha="center", va="center",
                fontsize=7.5, color="#777777")  # fmt: skip
        return
    step = (right - left) / cols
    for i, item in enumerate(slots):
        row, col = divmod(i, cols)
        in_row = min(cols, len(slots) - row * cols)
        offset = (cols - in_row) * step / 2  # centre a short last row
        x = left + offset + step * (col + 0.5)
        y = top - ROW * (row + 0.5)
        if isinstance(item, int):
            _more(ax, x, y, item)
        else:
            _box(ax, x, y, _box_text(item.name, item.concept_id), colour)


def _arrow(ax: Axes, a: tuple[float, float], b: tuple[float, float], colour: str) -> None:
    ax.annotate("", xy=b, xytext=a, zorder=1,
                arrowprops={"arrowstyle": "-|>", "color": colour, "lw": 1.6})  # fmt: skip


def _draw_block(ax: Axes, nb: Neighbourhood, top: float) -> float:
    """Draw one neighbourhood with its top edge at ``top``; return the y below it."""
    picked = _picked(nb)
    counts = nb.counts()
    p_rows, s_rows, c_rows, _ = _rows(nb)

    def note(layer: str) -> str:
        c = counts.get(layer)
        if c is None:
            return "layer not walked"
        return f"{c['picked']} picked, {sum(c['excluded'].values())} excluded"

    for layer, x in (("synonyms", 0.3), ("semantic_type", 82.0)):
        if layer in counts:
            _draw_list(ax, x, top, layer, picked.get(layer, []), note(layer))
    left, right = MIDDLE
    # parents above
    p_top = top
    p_h = TITLE + p_rows * ROW
    _band(ax, left, right, p_top, p_h, "parents", note("parents"))
    _fill(ax, _slots(picked.get("parents", [])), left, right, p_top - TITLE, PER_ROW,
          LAYER_COLOURS["parents"], "no parent picked")  # fmt: skip
    # the centre, with the siblings beside it
    c_top = p_top - p_h - GAP
    band_h = TITLE + s_rows * ROW
    centre = (left + 8.0, c_top - band_h / 2)
    sib_left = left + 18.0
    _band(ax, sib_left, right, c_top, band_h, "siblings", note("siblings"))
    _fill(ax, _slots(picked.get("siblings", [])), sib_left, right, c_top - TITLE,
          SIBLING_COLS, LAYER_COLOURS["siblings"], "no sibling picked")  # fmt: skip
    label = _box_text(nb.centre.preferred_name, nb.centre.id)
    types = nb.types.get(nb.centre.id, ())
    if types:
        label += "\n" + _plain(textwrap.shorten(", ".join(types), 40))
    _box(ax, centre[0], centre[1], label, CENTRE_COLOUR, bold=True)
    # children below
    k_top = c_top - band_h - GAP
    k_h = TITLE + c_rows * ROW
    _band(ax, left, right, k_top, k_h, "children", note("children"))
    _fill(ax, _slots(picked.get("children", [])), left, right, k_top - TITLE, PER_ROW,
          LAYER_COLOURS["children"], "no child picked")  # fmt: skip
    _arrow(ax, (centre[0], centre[1] + 0.75), (centre[0], p_top - p_h + 0.05), "#c2185b")
    _arrow(ax, (centre[0], centre[1] - 0.75), (centre[0], k_top - 0.05), "#6a1b9a")
    _arrow(ax, (centre[0] + 6.0, centre[1]), (sib_left - 0.2, centre[1]), "#b28704")
    bottom = top - _block_height(nb)
    footer = textwrap.fill(_excluded_line(nb), 200)
    ax.text(0.3, bottom + 1.2, _plain(footer), ha="left", va="top", fontsize=7, color="#555555")
    return bottom


def _title(exp: Exploration) -> str:
    link = exp.link
    if not link.linked:
        return f"“{exp.mention}” ({exp.label}): not linked — {link.reason}"
    names = ", ".join(f"{c.id} {c.preferred_name}" for c in link.concepts)
    score = f", score {link.score:.2f}" if link.method.value == "approximate" else ""
    return f"“{exp.mention}” ({exp.label}) → {names}  [linked by {link.method.value}{score}]"


def render_png(exp: Exploration, out: Path, *, dpi: int = 110) -> Path:
    """Draw ``exp`` to ``out`` (PNG, written atomically); return the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    heights = [_block_height(nb) for nb in exp.neighbourhoods] or [2.0]
    total = sum(heights) + 1.8
    fig, ax = plt.subplots(figsize=(15.0, max(3.2, 0.5 * total)))
    ax.set_xlim(0, 100)
    ax.set_ylim(-total + 1.2, 1.4)
    ax.axis("off")
    ax.text(0.5, 1.0, _plain(textwrap.shorten(_title(exp), 170)), ha="left", va="center",
            fontsize=10.5, fontweight="bold")  # fmt: skip
    cfg = exp.settings
    sub = (
        f"label profile: {exp.profile or '-'};  top-k {cfg.get('top_k', '-')}, seed "
        f"{cfg.get('seed', '-')}, preset {cfg.get('preset', '-')};  picked related concepts "
        "only (excluded counted below)"
    )
    ax.text(0.5, 0.35, _plain(textwrap.shorten(sub, 200)), ha="left", va="center", fontsize=8,
            color="#444444")  # fmt: skip
    top = -0.6
    for nb in exp.neighbourhoods:
        top = _draw_block(ax, nb, top)
    if not exp.neighbourhoods:
        ax.text(50, -0.8, "nothing to draw: the query did not link to a concept", ha="center",
                fontsize=10, color="#b71c1c")  # fmt: skip
    handles = [Patch(color=CENTRE_COLOUR, label="linked concept")] + [
        Patch(color=LAYER_COLOURS[k], label=LAYER_TITLES[k]) for k in LAYER_COLOURS
    ]
    ax.legend(handles=handles, loc="upper right", fontsize=7.5, ncol=3, frameon=False,
              bbox_to_anchor=(1.0, 1.02))  # fmt: skip
    fig.tight_layout()
    try:
        write_with(out, lambda tmp: fig.savefig(tmp, format="png", dpi=dpi), suffix=".png")
    finally:
        plt.close(fig)
    return out
