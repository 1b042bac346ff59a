"""The validation funnel, stage by stage, on the real ``free`` graph and real NCBI sentences."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import pytest
from tests.prompts.llmgen_fixtures import (
    HEMOCHROMATOSIS_SEED,
    NCBI_DEV,
    NCBI_LABELS,
    ncbi_sentence,
)

from hilgen_graph.agents.chains import ChainSettings, candidates_from, make_provenance
from hilgen_graph.agents.schemas import (
    GeneratedSentence,
    GenerationRequest,
    Mention,
    RelatedConcept,
)
from hilgen_graph.agents.tools import retrieve_related
from hilgen_graph.corpus.load import load_corpus
from hilgen_graph.graph.store import GraphStore
from hilgen_graph.grounding.grounder import Grounder
from hilgen_graph.prompts import load_template
from hilgen_graph.settings import data_dir
from hilgen_graph.validation.funnel import (
    STAGES,
    Candidate,
    Funnel,
    HeldoutIndex,
    candidate_from_record,
    iob2_problem,
)

TEMPLATE = load_template("grounded-parents-children")
SETTINGS = ChainSettings("fake-model", 0.7)
SD = "SpecificDisease"


@pytest.fixture(scope="module")
def request_(store: GraphStore) -> GenerationRequest:
    seed = ncbi_sentence(HEMOCHROMATOSIS_SEED)
    target = seed.entities[0]
    concept = Grounder.for_store(store).concept_of(target)
    assert concept is not None and concept.id == "D006432"
    related = tuple(retrieve_related(store, concept.id, ["parents", "children"], 5))
    assert "D019190" in [r.id for r in related]  # Iron Overload is a parent
    return GenerationRequest("req", seed, target, NCBI_LABELS, 3, concept, related)


def make(
    req: GenerationRequest, text: str, mentions: Sequence[tuple[str, str]], raw: str = "raw"
) -> Candidate:
    prov = make_provenance(req, TEMPLATE, SETTINGS, "grounded", "chatcmpl-1")
    sent = GeneratedSentence(
        text=text, entities=[Mention(text=t, label=lab) for t, lab in mentions]
    )
    return candidates_from(req, [sent], lambda _i: prov, raw)[0]


GOOD = "Only half of the carriers had clinical features of iron overload."


def test_a_grounded_sentence_passes_every_stage(
    store: GraphStore, request_: GenerationRequest
) -> None:
    funnel = Funnel(store, heldout=HeldoutIndex())
    res = funnel.check(make(request_, GOOD, [("iron overload", SD)]))
    assert res.accepted, res.reason
    assert res.passed == STAGES
    assert res.record is not None
    prov = res.record.provenance
    assert prov.related_concept_id == "D019190" and prov.related_name == "iron overload"
    assert prov.llm is not None and prov.llm.prompt_hash == TEMPLATE.version
    assert res.record.tags[-3:] == ["B-SpecificDisease", "I-SpecificDisease", "O"]
    assert res.links[0].intended_id == "D019190" and res.links[0].groups == ("DISO",)


def test_parse_stage(store: GraphStore, request_: GenerationRequest) -> None:
    funnel = Funnel(store)
    prov = make_provenance(request_, TEMPLATE, SETTINGS, "grounded", "x")
    broken = Candidate("c1", prov, raw_output='{"sentences": [oops', parse_error="invalid JSON")
    res = funnel.check(broken)
    assert res.stage == "parse" and res.candidate.raw_output.startswith('{"sentences"')
    assert res.rejection().raw_output == '{"sentences": [oops'
    res = funnel.check(make(request_, GOOD, [("iron overload", "Disease")]))
    assert res.stage == "parse" and "not allowed" in res.reason
    res = funnel.check(dataclasses.replace(make(request_, GOOD, []), text="  "))
    assert res.stage == "parse"
    res = funnel.check(make(request_, "Iron Overload (Disease)", [("Iron Overload", SD)]))
    assert res.stage == "parse" and "not a sentence" in res.reason
    echo = "The seed sentence rewritten with 'Iron Overload' in place of 'hemochromatosis'"
    res = funnel.check(make(request_, echo, [("Iron Overload", SD)]))  # a real Qwen-0.5B reply
    assert res.stage == "parse" and "echoes the prompt" in res.reason
    for echo in (  # more real Qwen2.5-Coder-0.5B replies
        "Use 'Iron Overload' instead of 'hemochromatosis'.",
        "The seed mention 'hemochromatosis' (Disease) is a concept 'Iron Overload' (D019190).",
        "Only half of the carriers had iron overload. Its entities: 'iron overload' (Disease)",
    ):
        res = funnel.check(make(request_, echo, [("Iron Overload", SD)]))
        assert res.stage == "parse" and "echoes the prompt" in res.reason, echo


@pytest.mark.parametrize(
    ("tags", "ok"),
    [
        (["O", "B-X", "I-X", "O"], True),
        (["B-X", "B-Y", "I-Y"], True),
        ([], True),
        (["I-X", "O"], False),
        (["O", "I-X"], False),
        (["B-X", "I-Y"], False),
        (["B-X", "O", "I-X"], False),
        (["S-X"], False),
        (["B-"], False),
        (["b-X"], False),
    ],
)
def test_iob2_truth_table(tags: list[str], ok: bool) -> None:
    assert (iob2_problem(tags) is None) == ok


def test_iob_stage(store: GraphStore, request_: GenerationRequest) -> None:
    c = make(request_, GOOD, [("iron overload", SD)])
    tags = list(c.tags)
    tags[-3] = "I-SpecificDisease"  # I- without B-
    res = Funnel(store).check(dataclasses.replace(c, tags=tuple(tags)))
    assert res.stage == "iob" and "strict IOB2" in res.reason
    res = Funnel(store).check(dataclasses.replace(c, tags=c.tags[:-1]))
    assert res.stage == "iob"


def test_span_stage(store: GraphStore, request_: GenerationRequest) -> None:
    res = Funnel(store).check(make(request_, GOOD, [("iron overload", SD), ("anemia", SD)]))
    assert res.stage == "span" and "'anemia'" in res.reason


def test_grounding_stage_unknown_concept(store: GraphStore, request_: GenerationRequest) -> None:
    text = "Only half of the carriers had clinical features of zorblax syndrome."
    res = Funnel(store).check(make(request_, text, [("zorblax syndrome", SD)]))
    assert res.stage == "grounding" and "no concept" in res.reason


def test_grounding_stage_wrong_semantic_group(
    store: GraphStore, request_: GenerationRequest
) -> None:
    text = "Only half of the carriers took aspirin for iron overload."
    res = Funnel(store).check(make(request_, text, [("aspirin", SD), ("iron overload", SD)]))
    assert res.stage == "grounding"
    assert "CHEM" in res.reason and "DISO" in res.reason


def test_grounding_links_a_longer_mention_by_its_head(
    store: GraphStore, request_: GenerationRequest
) -> None:
    text = "Only half of the carriers had clinical features of hereditary iron overload."
    res = Funnel(store).check(make(request_, text, [("hereditary iron overload", SD)]))
    assert res.accepted, res.reason


def test_intended_stage(store: GraphStore, request_: GenerationRequest) -> None:
    text = "Only half of the carriers had clinical features of lymphoma."
    res = Funnel(store).check(make(request_, text, [("lymphoma", SD)]))
    assert res.stage == "intended" and "D019190" in res.reason
    assert res.links[0].fits and not res.links[0].intended


def test_missing_label_stage(store: GraphStore, request_: GenerationRequest) -> None:
    text = "Iron overload and hepatolenticular degeneration were seen in the carriers."
    res = Funnel(store).check(make(request_, text, [("Iron overload", SD)]))
    assert res.stage == "missing_label"
    assert "hepatolenticular degeneration" in res.reason and "D006527" in res.reason
    res = Funnel(store).check(
        make(request_, text, [("Iron overload", SD), ("hepatolenticular degeneration", SD)])
    )
    assert res.accepted, res.reason


def test_seed_copy_stage(store: GraphStore, request_: GenerationRequest) -> None:
    seed = request_.seed
    own = dataclasses.replace(
        request_, related=(RelatedConcept("D006432", "Hemochromatosis", "synonyms"),)
    )
    res = Funnel(store).check(make(own, seed.text, [("hemochromatosis", SD)]))
    assert res.stage == "seed_copy" and "same text" in res.reason
    near = seed.text.replace("However, only", "Only")
    res = Funnel(store).check(make(own, near, [("hemochromatosis", SD)]))
    assert res.stage == "seed_copy" and "near copy" in res.reason


def test_duplicate_stage_and_resume(store: GraphStore, request_: GenerationRequest) -> None:
    funnel = Funnel(store)
    assert funnel.check(make(request_, GOOD, [("iron overload", SD)])).accepted
    res = funnel.check(make(request_, GOOD.upper().lower(), [("iron overload", SD)]))
    assert res.stage == "duplicate"
    resumed = Funnel(store)
    resumed.remember(GOOD, "earlier-1")
    res = resumed.check(make(request_, GOOD, [("iron overload", SD)]))
    assert res.stage == "duplicate" and "earlier-1" in res.reason


def test_leakage_stage(store: GraphStore, request_: GenerationRequest) -> None:
    dev = load_corpus(data_dir() / NCBI_DEV).sentences
    heldout = HeldoutIndex.from_sentences(dev)
    leaked = next(s for s in dev if s.id == "8808605:3")
    concept = Grounder.for_store(store).linker.lookup("hemolytic anemia")[0]
    req = dataclasses.replace(
        request_, related=(RelatedConcept(concept.id, concept.preferred_name, "children"),)
    )
    mentions = [(e.text, e.label) for e in leaked.entities]
    res = Funnel(store, heldout=heldout).check(make(req, leaked.text, mentions))
    assert res.stage == "leakage" and "8808605:3" in res.reason
    assert "duplicate" in res.passed


def test_without_a_store_the_graph_stages_are_skipped(request_: GenerationRequest) -> None:
    res = Funnel(None).check(make(request_, GOOD, [("iron overload", SD)]))
    assert res.accepted
    assert set(res.skipped) == {"grounding", "intended", "missing_label", "leakage"}


def test_record_round_trip_recheck(store: GraphStore, request_: GenerationRequest) -> None:
    """A record accepted at generation passes again when re-checked from the file."""
    res = Funnel(store).check(make(request_, GOOD, [("iron overload", SD)]))
    assert res.record is not None
    again = Funnel(store).check(candidate_from_record(res.record))
    assert again.accepted, again.reason
    bad = res.record.model_copy(update={"tokens": ["Only", "half"] + res.record.tokens[2:][::-1]})
    assert Funnel(store).check(candidate_from_record(bad)).stage == "span"


def test_seed_gold_mentions_are_trusted_and_seed_unlabelled_phrases_not_flagged(
    store: GraphStore, request_: GenerationRequest
) -> None:
    seed = ncbi_sentence("1316718:1")  # "... eczema, recurrent mild infections, ... (WAS) ..."
    req = dataclasses.replace(request_, seed=seed, target=seed.entities[1])
    text = (
        "A 24 year old male with iron overload, recurrent mild infections, and eczema "
        "consistent with the Wiskott-Aldrich syndrome (WAS)."
    )
    gold = [("eczema", "DiseaseClass"), ("Wiskott-Aldrich syndrome", SD), ("WAS", SD)]
    res = Funnel(store).check(make(req, text, [("iron overload", SD), *gold]))
    assert res.accepted, res.reason  # "WAS" links to nothing, but it is the seed's gold mention
    assert [e.from_seed for e in res.links] == [False, True, True, True]  # in text order
    bad = text.replace("(WAS)", "(WAZ)")
    res = Funnel(store).check(make(req, bad, [("iron overload", SD), *gold[:2], ("WAZ", SD)]))
    assert res.stage == "grounding" and "WAZ" in res.reason
    res = Funnel(store).check(make(req, text, [("iron overload", SD), *gold[1:]]))
    assert res.stage == "missing_label" and "eczema" in res.reason  # a gold mention left bare
