"""Colours and titles of the five layers, shared by the PNG drawing and the HTML page."""

from __future__ import annotations

from typing import Final

CENTRE_COLOUR: Final = "#f4a261"
EXCLUDED_COLOUR: Final = "#e6e6e6"
LAYER_COLOURS: Final[dict[str, str]] = {
    "synonyms": "#8ecae6",
    "semantic_type": "#b5e48c",
    "parents": "#ffafcc",
    "children": "#cdb4db",
    "siblings": "#ffd166",
}
LAYER_TITLES: Final[dict[str, str]] = {
    "synonyms": "synonyms",
    "semantic_type": "same semantic type",
    "parents": "parents",
    "children": "children",
    "siblings": "siblings",
}
