"""The knowledge-graph arm: link mentions, expand concepts in HILGEN layers, substitute names.

Modules: ``linker`` (mention -> concepts), ``term_index`` / ``store_index`` (approximate
character-trigram lookup), ``layers`` (synonyms, semantic_type, parents, children, siblings and
their filters), ``names`` (display names), ``substitution`` (new gold-style sentences),
``guard`` (leakage and duplicates), ``kg_arm`` (the pipeline behind ``hilgen augment kg``).
"""

from hilgen_graph.expansion.kg_arm import KgConfig, KgReport, KgRun, augment_kg, run_kg_arm
from hilgen_graph.expansion.layers import LAYERS, PRESETS, LayerConfig, parse_layers, preset
from hilgen_graph.expansion.linker import Link, Linker, LinkingReport, LinkMethod
from hilgen_graph.expansion.term_index import TermIndex

__all__ = [
    "LAYERS",
    "PRESETS",
    "KgConfig",
    "KgReport",
    "KgRun",
    "LayerConfig",
    "Link",
    "LinkMethod",
    "Linker",
    "LinkingReport",
    "TermIndex",
    "augment_kg",
    "parse_layers",
    "preset",
    "run_kg_arm",
]
