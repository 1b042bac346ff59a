"""The grounding layer both augmentation arms stand on: mention -> concept linking (``linker``),
label profiles from the label -> semantic-group table, the user's mapping or evidence
(``label_groups``), the layered walk with its filters (``layers``), display names (``names``),
the records they hand on (``records``: LinkCandidate, LabelProfile, RelatedConcept, Excluded,
LayerWalk), one object over all of it (``grounder``) and the approximate term index
(``term_index``, ``store_index``).
"""

from hilgen_graph.grounding.grounder import Grounder
from hilgen_graph.grounding.layers import (
    LAYERS,
    PRESETS,
    Expander,
    Filter,
    LayerConfig,
    parse_layers,
    preset,
)
from hilgen_graph.grounding.linker import Link, Linker, LinkingReport, LinkMethod
from hilgen_graph.grounding.records import (
    Excluded,
    LabelProfile,
    LayerWalk,
    LinkCandidate,
    ProfileSource,
    RelatedConcept,
)
from hilgen_graph.grounding.term_index import TermIndex

__all__ = [
    "LAYERS",
    "PRESETS",
    "Excluded",
    "Expander",
    "Filter",
    "Grounder",
    "LabelProfile",
    "LayerConfig",
    "LayerWalk",
    "Link",
    "LinkCandidate",
    "LinkMethod",
    "Linker",
    "LinkingReport",
    "ProfileSource",
    "RelatedConcept",
    "TermIndex",
    "parse_layers",
    "preset",
]
