"""One object over the grounding layer for callers that need all of it (the LLM arm's request
building and agent tools, the explorer): the linker, the label profiles and the layered walk,
with one configuration.

The KG arm uses :class:`~hilgen_graph.grounding.linker.Linker` and
:class:`~hilgen_graph.grounding.layers.Expander` directly; this is the same pair.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from hilgen_graph.corpus.records import Entity, Sentence
from hilgen_graph.errors import ExpansionError
from hilgen_graph.graph.records import Concept
from hilgen_graph.graph.store import GraphStore
from hilgen_graph.grounding.label_groups import evidence_profile
from hilgen_graph.grounding.layers import Expander, LayerConfig
from hilgen_graph.grounding.linker import DEFAULT_APPROX_THRESHOLD, Link, Linker
from hilgen_graph.grounding.records import LabelProfile, LayerWalk, RelatedConcept
from hilgen_graph.grounding.term_index import TermIndex


@dataclass
class Grounder:
    """Linking, profiles and the walk over one store."""

    linker: Linker
    expander: Expander

    @classmethod
    def for_store(
        cls,
        store: GraphStore,
        *,
        label_groups: Mapping[str, Sequence[str]] | None = None,
        config: LayerConfig | None = None,
        index: TermIndex | None = None,
        approximate: bool = False,
        approx_threshold: float = DEFAULT_APPROX_THRESHOLD,
    ) -> Grounder:
        """A grounder for ``store``; with ``approximate`` the store's term index is built (or
        reused) so mentions may link approximately, as in the KG arm."""
        note = ""
        if index is None and approximate:
            from hilgen_graph.grounding.store_index import index_for_store

            try:
                index = index_for_store(store)
            except ExpansionError as err:
                note = str(err)
        linker = Linker(
            store,
            index=index,
            label_groups=dict(label_groups or {}),
            approx_threshold=approx_threshold,
            approximate_note=note,
        )
        return cls(linker, Expander(store, linker, config or LayerConfig()))

    @property
    def store(self) -> GraphStore:
        return self.linker.store

    def learn(self, sentences: Iterable[Sentence]) -> dict[str, LabelProfile]:
        """Label profiles from the sample (see :meth:`Linker.learn_profiles`)."""
        return self.linker.learn_profiles(sentences)

    def link(self, entity: Entity, sentence_id: str = "") -> Link:
        return self.linker.link(entity, sentence_id)

    def concept_of(self, entity: Entity) -> Concept | None:
        """The concept a gold mention links to (its first), or ``None``."""
        link = self.linker.link(entity)
        return link.concepts[0] if link.concepts else None

    def concept(self, concept_id: str) -> Concept | None:
        return self.linker.concept(concept_id)

    def label_for(self, concept: Concept, label: str | None) -> str:
        """``label``, or (none given: an agent exploring on its own) a profile made of the
        concept's own semantic types."""
        if label is not None:
            return label
        key = f"types of {concept.id}"
        if key not in self.linker.profiles:
            self.linker.profiles[key] = evidence_profile(
                key, [(concept.id, concept.semantic_types)]
            )
        return key

    def walk(
        self, concept: Concept, label: str | None, mention: str, layers: Sequence[str]
    ) -> list[LayerWalk]:
        return self.expander.walk(concept, self.label_for(concept, label), mention, layers)

    def related(
        self,
        concept: Concept,
        label: str | None,
        mention: str,
        layers: Sequence[str],
        limit: int,
    ) -> list[RelatedConcept]:
        """The picked related concepts of ``layers`` shared fairly up to ``limit``, described
        for a prompt (type names, other display names)."""
        found, _ = self.expander.related(
            concept, self.label_for(concept, label), mention, layers, limit
        )
        return found

    def display_name(self, concept: Concept) -> str | None:
        """The concept's display name (``None``: it has no natural one)."""
        return self.expander.name_of(concept)

    def type_names(self, concept: Concept) -> tuple[str, ...]:
        return self.expander.type_names(concept)
