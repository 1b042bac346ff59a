"""The grounding layer both augmentation arms stand on: mention -> concept linking (``linker``),
label -> semantic-group profiles, the layered walk with its filters (``layers``), display names
(``names``) and the approximate term index (``term_index``, ``store_index``).
"""

from hilgen_graph.grounding.layers import LAYERS, PRESETS, LayerConfig, parse_layers, preset
from hilgen_graph.grounding.linker import Link, Linker, LinkingReport, LinkMethod
from hilgen_graph.grounding.term_index import TermIndex

__all__ = [
    "LAYERS",
    "PRESETS",
    "LayerConfig",
    "Link",
    "LinkMethod",
    "Linker",
    "LinkingReport",
    "TermIndex",
    "parse_layers",
    "preset",
]
