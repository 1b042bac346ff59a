"""The knowledge-graph arm end to end on NCBI-disease train, 5-shot, seed 1, ``free`` graph."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tests.support.kg_fixtures import NCBI_TRAIN, assert_valid_iob2

from hilgen_graph.corpus.records import Entity, Sentence
from hilgen_graph.corpus.sampling import sample_kshot, select
from hilgen_graph.corpus.tokenize import tokenize
from hilgen_graph.errors import ExpansionError
from hilgen_graph.graph.store import GraphStore
from hilgen_graph.grounding.layers import LAYERS, LayerConfig
from hilgen_graph.grounding.linker import LinkMethod
from hilgen_graph.grounding.term_index import TermIndex
from hilgen_graph.kg_arm.augment import KgConfig, KgReport, KgRun, augment_kg, run_kg_arm
from hilgen_graph.synthetic import SyntheticRecord, read_synthetic

MESH_DESCRIPTOR = re.compile(r"^(MESH:)?D\d{6}(\d{3})?$")


@pytest.fixture(scope="module")
def ncbi_run(
    data_root: Path,
    free_store_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[list[SyntheticRecord], KgReport]:
    out = tmp_path_factory.mktemp("kg") / "synth.jsonl"
    run = KgRun(
        corpus=data_root / NCBI_TRAIN,
        store=free_store_path,
        out=out,
        format="pubtator",
        k=5,
        seed=1,
        collapse_to="Disease",
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HILGEN_CACHE_DIR", str(out.parent / "cache"))
        report = run_kg_arm(run, KgConfig(layer_config=LayerConfig(seed=1)))
    assert (out.parent / "cache" / "term-index").is_dir()  # the store's index was cached
    return list(read_synthetic(out)), report


def test_all_layers_make_sentences(ncbi_run: tuple[list[SyntheticRecord], KgReport]) -> None:
    records, report = ncbi_run
    assert report.written == len(records) > 0
    for layer in LAYERS:
        assert report.layers[layer].kept > 0, layer
        assert any(r.provenance.layer == layer for r in records), layer
    assert len(report.eval_files) == 2  # dev and test found for the known split


def test_every_mesh_descriptor_is_linked(ncbi_run: tuple[list[SyntheticRecord], KgReport]) -> None:
    _, report = ncbi_run
    described = [
        link
        for link in report.linking.links
        if any(MESH_DESCRIPTOR.match(i) for i in link.entity.concept_ids)
    ]
    assert described
    assert all(link.method is LinkMethod.CORPUS_ID for link in described)
    for link in report.linking.unlinked:
        assert link.entity.text and link.reason


def test_tags_are_strict_iob2_and_the_new_span_keeps_its_label(
    ncbi_run: tuple[list[SyntheticRecord], KgReport],
) -> None:
    records, _ = ncbi_run
    for rec in records:
        assert len(rec.tokens) == len(rec.tags)
        assert rec.tokens == [t.text for t in tokenize(rec.text)]
        assert_valid_iob2(rec.tags)
        prov = rec.provenance
        ent = prov.replaced_entity
        assert ent is not None and prov.related_name
        # locate the substituted span: it starts where the replaced mention started
        offsets = tokenize(rec.text)
        start = next(i for i, t in enumerate(offsets) if t.start == ent.start)
        end_char = ent.start + len(prov.related_name)
        width = len([t for t in offsets if ent.start <= t.start < end_char])
        span = rec.tags[start : start + width]
        assert span[0] == f"B-{ent.label}", (rec.text, rec.tags)
        assert all(t == f"I-{ent.label}" for t in span[1:])
        if start + width < len(rec.tags):
            assert not rec.tags[start + width].startswith("I-")


def test_provenance_is_complete(ncbi_run: tuple[list[SyntheticRecord], KgReport]) -> None:
    records, report = ncbi_run
    sample_ids = set(report.sentence_ids)
    for rec in records:
        p = rec.provenance
        assert p.arm == "kg" and p.seed_sentence_id in sample_ids
        assert p.source_concept_id and p.related_concept_id and p.relation_path
        assert p.relation_path[0] == p.source_concept_id
        assert p.knowledge_source in report.knowledge_sources
        assert p.source_version == report.knowledge_sources[p.knowledge_source]
    assert len({r.id for r in records}) == len(records)
    assert len({(tuple(r.tokens), tuple(r.tags)) for r in records}) == len(records)


def test_deterministic_given_the_seed(
    ncbi_train: list[Sentence], free_store: GraphStore, free_index: TermIndex
) -> None:
    sample = select(ncbi_train, sample_kshot(ncbi_train, 5, 1, "hilgen"))
    cfg = KgConfig(layers=("semantic_type", "siblings"), layer_config=LayerConfig(seed=3))
    a, _ = augment_kg(sample, free_store, config=cfg, index=free_index)
    b, _ = augment_kg(sample, free_store, config=cfg, index=free_index)
    assert a and a == b
    c, _ = augment_kg(
        sample,
        free_store,
        config=KgConfig(layers=("semantic_type",), layer_config=LayerConfig(seed=4)),
        index=free_index,
    )
    assert {r.text for r in c} != {r.text for r in a if r.provenance.layer == "semantic_type"}


def test_a_label_the_corpus_lacks_is_refused(
    ncbi_train: list[Sentence], free_store: GraphStore
) -> None:
    with pytest.raises(ExpansionError, match="'Chemical' not in the corpus.*allowed: Disease"):
        augment_kg(ncbi_train[:50], free_store, config=KgConfig(labels=("Chemical",)))


def test_names_without_words_are_excluded_and_counted(small_store: GraphStore) -> None:
    text = "Patients with hypotension were treated with aspirin."
    s = Sentence(
        "doc:0",
        "doc",
        text,
        tuple(tokenize(text)),
        (
            Entity(14, 25, "hypotension", "Disease", ("D006",)),
            Entity(44, 51, "aspirin", "Chemical", ("D009",)),
        ),
    )
    records, report = augment_kg([s], small_store, config=KgConfig(layers=("synonyms",)))
    counts = report.layers["synonyms"]
    # "[Ambiguous]" has no words once cleaned: the walk excludes it and counts why
    assert counts.filtered["empty name"] == 1
    assert not counts.dropped and counts.made == counts.kept
    assert "Patients with acetylsalicylic acid" not in {r.text for r in records}
    assert any(r.text.endswith("with acetylsalicylic acid.") for r in records)
    for r in records:
        assert_valid_iob2(r.tags)


def test_a_label_without_profile_is_not_expanded(
    free_store: GraphStore, free_index: TermIndex
) -> None:
    """A user's corpus with a label the registry does not know: its sequence-variant mention
    must not reach "insertional mutagenesis" by string similarity and expand from there."""
    text = "The -4825 gene insertion/deletion variant and gout were studied."
    variant = "-4825 gene insertion/deletion"
    a = text.index(variant)
    g = text.index("gout")
    s = Sentence(
        "doc:0",
        "doc",
        text,
        tuple(tokenize(text)),
        (
            Entity(a, a + len(variant), variant, "DNAMutation"),
            Entity(g, g + 4, "gout", "Disease"),
        ),
    )
    records, report = augment_kg([s], free_store, config=KgConfig(), index=free_index)
    assert report.profiles["DNAMutation"].source.value == "none"
    assert report.profiles["Disease"].source.value == "registry"
    unlinked = [x for x in report.linking.links if not x.linked]
    assert [x.entity.text for x in unlinked] == [variant]
    assert records and all(r.provenance.replaced_entity.label == "Disease" for r in records)  # type: ignore[union-attr]
    assert all("mutagenesis" not in r.text.lower() for r in records)
    profiles = report.as_dict()["label_profiles"]
    assert profiles["DNAMutation"]["source"] == "none"
    assert profiles["Disease"]["excluded"]["by_filter"]  # what the walk excluded, per label


def test_all_mentions_replaces_the_other_linked_mentions_too(
    ncbi_train: list[Sentence], free_store: GraphStore, free_index: TermIndex
) -> None:
    """``mentions: all`` makes the same substitutions as ``group`` and in each also replaces
    the sentence's other linked mentions with names from their own walks, so far fewer
    synthetic sentences keep a gold mention of the sample."""
    from hilgen_graph.kg_arm.substitution import Mentions, coreferent

    multi = [
        s
        for s in ncbi_train
        if len({e.text.lower() for e in s.entities}) >= 2 and len(s.entities) <= 4
    ][:8]
    runs = {
        m: augment_kg(
            multi,
            free_store,
            config=KgConfig(layer_config=LayerConfig(seed=1), mentions=m),
            index=free_index,
        )
        for m in (Mentions.GROUP, Mentions.ALL)
    }
    (group_recs, group_rep), (all_recs, all_rep) = runs[Mentions.GROUP], runs[Mentions.ALL]
    assert all_rep.made == group_rep.made > 0  # the same names tried for the same mentions
    # two mentions' walks do not make the same sentences (the guard would drop them)
    assert len(all_recs) >= 0.9 * len(group_recs)
    assert all_rep.config["mentions"] == "all"
    by_id = {s.id: s for s in multi}
    linked = {(x.sentence_id, x.entity.start) for x in all_rep.linking.linked}

    def kept_gold(rec: SyntheticRecord) -> int:
        """Linked gold mentions of the seed outside the replaced group still in the text."""
        seed = by_id[rec.provenance.seed_sentence_id]
        rep = rec.provenance.replaced_entity
        assert rep is not None
        target = next(e for e in seed.entities if e.start == rep.start)
        group = coreferent(seed, target)
        return sum(
            1
            for e in seed.entities
            if e not in group and (seed.id, e.start) in linked and e.text in rec.text
        )

    co = [r for r in all_recs if r.provenance.co_substituted]
    assert len(co) >= len(all_recs) // 3
    assert sum(map(kept_gold, all_recs)) < sum(map(kept_gold, group_recs)) / 2
    for rec in co:
        assert_valid_iob2(rec.tags)
        prov = rec.provenance
        assert not any(c.related_name == prov.related_name for c in prov.co_substituted)
        names = {rec.text[x.start : x.end].lower() for x in prov.inserted}
        assert prov.related_name is not None
        assert {prov.related_name.lower()} | {
            c.related_name.lower() for c in prov.co_substituted
        } == names
        assert sum(t.startswith("B-") for t in rec.tags) >= len(prov.inserted)
    # group records carry no co-substitution and no inserted spans
    assert not any(r.provenance.co_substituted or r.provenance.inserted for r in group_recs)
