"""Marked mode: marks stripped, spans and IOB computed by the toolkit, one request per (seed,
related concept), the reply schema, and the marked chain through the real funnel."""

from __future__ import annotations

import dataclasses

import pytest
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import ValidationError
from tests.prompts.llmgen_fixtures import HEMOCHROMATOSIS_SEED, ncbi_sentence

from hilgen_graph.agents.chains import ChainSettings, build_chain, build_marked_chain
from hilgen_graph.agents.marked import (
    MarkedBudget,
    MarkedRequest,
    marked_requests,
    marked_schema,
    occurrences,
    parse_marked,
    sentence_char_limit,
    strip_marks,
    word_stems,
)
from hilgen_graph.errors import ConfigError
from hilgen_graph.graph.store import GraphStore
from hilgen_graph.prompts import load_template
from hilgen_graph.testing.fake_chat import ScriptedChatModel, text_reply, tool_call_reply
from hilgen_graph.validation.funnel import Funnel

SD = "SpecificDisease"
REWRITE = load_template("marked-rewrite")
NEW_CONTEXT = load_template("marked-new-context")
SETTINGS = ChainSettings("fake-model", 0.7, max_repairs=1)


# --- parsing -------------------------------------------------------------------------------------
def test_marks_are_stripped_and_become_spans() -> None:
    al = parse_marked("Patients with [[iron overload]] were treated.", SD)
    assert al.text == "Patients with iron overload were treated."
    assert [t.text for t in al.tokens] == [
        "Patients",
        "with",
        "iron",
        "overload",
        "were",
        "treated",
        ".",
    ]
    assert al.tags == ("O", "O", f"B-{SD}", f"I-{SD}", "O", "O", "O")
    assert [(s.text, s.label) for s in al.spans] == [("iron overload", SD)]
    assert al.issues == ()


def test_unmarked_allowed_names_and_gold_mentions_are_tagged_on_word_boundaries() -> None:
    al = parse_marked(
        "Iron overload and hemochromatosis, unlike hemochromatosisX, affect [[the liver]].",
        SD,
        allowed=["iron overload"],
        gold=[("hemochromatosis", "Modifier")],
    )
    got = [(s.text, s.label) for s in al.spans]
    assert got == [("Iron overload", SD), ("hemochromatosis", "Modifier"), ("the liver", SD)]


def test_a_name_never_matches_inside_a_word() -> None:
    assert occurrences("Renal Cysts and a Cyst.", "Cyst", plural=False) == [(18, 22)]
    assert occurrences("Polycystic and Cystic kidneys.", "Cyst") == []
    # its plural is tagged as the whole word, never "Cyst" inside "Cysts"
    assert occurrences("Renal Cysts and a Cyst.", "Cyst") == [(6, 11), (18, 22)]
    al = parse_marked("Renal Cystsx were seen in most patients.", SD, allowed=["Cyst"])
    assert al.spans == () and set(al.tags) == {"O"}
    al = parse_marked("Two of 28 melanomas had the mutation.", SD, gold=[("melanoma", SD)])
    assert [s.text for s in al.spans] == ["melanomas"]


def test_gold_mentions_match_across_the_corpus_spacing_of_punctuation() -> None:
    al = parse_marked(
        "A family with the Wiskott-Aldrich syndrome had [[purpura]].",
        SD,
        gold=[("Wiskott - Aldrich syndrome", SD)],
    )
    assert [s.text for s in al.spans] == ["Wiskott-Aldrich syndrome", "purpura"]
    assert occurrences("Wiskott - Aldrich syndrome", "Wiskott-Aldrich syndrome") == [(0, 26)]
    assert occurrences("Wiskott Aldrich syndrome", "Wiskott-Aldrich syndrome") == []


def test_a_mark_inside_a_word_is_reported() -> None:
    al = parse_marked("Renal [[Cyst]]s were seen in most patients.", SD)
    assert al.text == "Renal Cysts were seen in most patients."
    assert [i.kind for i in al.issues] == ["inside_word", "partial_token"]


@pytest.mark.parametrize(
    "raw", ["Patients with [[iron overload were treated.", "Patients with [[ ]] iron overload."]
)
def test_broken_marks_are_fatal(raw: str) -> None:
    al = parse_marked(raw, SD)
    assert not al.ok and "[[" not in al.text


def test_strip_marks_keeps_offsets() -> None:
    m = strip_marks("A [[b c]] d [[e]].")
    assert m.text == "A b c d e." and [m.text[s:e] for s, e in m.marks] == ["b c", "e"]


def test_word_stems_make_plurals_equal() -> None:
    assert word_stems("foot deformities") == word_stems("Foot deformity")
    assert word_stems("Cysts") == word_stems("cyst") != word_stems("cystic")


# --- the reply schema ----------------------------------------------------------------------------
def test_schema_is_a_list_of_exactly_n_bounded_strings_without_a_forced_marker() -> None:
    schema = marked_schema(3)
    params = convert_to_openai_tool(schema)["function"]["parameters"]
    prop = params["properties"]["sentences"]
    assert (prop["minItems"], prop["maxItems"]) == (3, 3)
    assert prop["items"]["maxLength"] > prop["items"]["minLength"] > 0
    assert "pattern" not in prop["items"]  # the marker is checked afterwards, not forced
    with pytest.raises(ValidationError):
        schema(sentences=["Only one sentence is here today."])
    assert marked_schema(3) is schema


def test_a_long_seed_gets_room_for_its_rewrite() -> None:
    """A 330-character seed under a fixed 300-character bound came back cut mid-sentence (27
    of 126 candidates of one NCBI seed lost at the sentence stage); the bound grows with it."""
    assert sentence_char_limit("x" * 120) == 300
    assert sentence_char_limit("x" * 330) == 500 >= 330 * 1.5
    long_seed = "x" * 330
    limit = convert_to_openai_tool(marked_schema(3, sentence_char_limit(long_seed)))
    assert limit["function"]["parameters"]["properties"]["sentences"]["items"]["maxLength"] == 500


# --- requests ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def requests_(store: GraphStore) -> list[MarkedRequest]:
    seed = ncbi_sentence(HEMOCHROMATOSIS_SEED)
    budget = MarkedBudget(("parents", "siblings", "synonyms"), per_layer=1)
    reqs, skipped = marked_requests(
        [seed], REWRITE, store, budget, labels=[SD], n=3, id_parts=("fake-model", 0.7)
    )
    assert not skipped
    return reqs


def test_one_request_per_seed_and_related_concept(requests_: list[MarkedRequest]) -> None:
    assert [r.concept.layer for r in requests_] == ["parents", "siblings", "synonyms"]
    parent = requests_[0]
    assert parent.name == "iron overload" and parent.request.target.text == "hemochromatosis"
    assert parent.request.intended_ids == [parent.concept.id]
    assert len({r.id for r in requests_}) == 3
    values = parent.values()
    assert values["name"] == "iron overload" and values["semantic_type"] == "Disease or Syndrome"
    assert requests_[2].name not in ("hemochromatosis", "hemochromatoses")  # a real synonym


def test_marked_prompt_is_short_with_no_ids_metadata_or_plan(
    requests_: list[MarkedRequest],
) -> None:
    system, user = REWRITE.render(requests_[0].values())
    assert "[[iron overload]]" in user and requests_[0].request.seed.text in user
    assert requests_[0].concept.id not in user and "D0" not in user
    assert "entities" not in user.lower() and "plan" not in user.lower()
    assert len(user) < 1200
    _, user2 = NEW_CONTEXT.render(requests_[0].values())
    assert "iron metabolism disorders" in user2  # grounded in the concept's parent


# --- the marked chain ----------------------------------------------------------------------------
GOOD = "Only half of the homozygous carriers showed clinical signs of [[iron overload]]."
SUBSTITUTION = (
    "However, only half of those who were homozygous had clinical features of [[iron overload]], "
    "and one quarter had serum ferritin levels that remained normal over a four-year period."
)
ECHO = "Clinical features of [[iron overload]] instead of 'hemochromatosis' were seen in half."
INVENTED = "In 1994, Dr. John Doe found [[iron overload]] in 45% of homozygous carriers."


def test_marked_chain_sends_every_sentence_through_the_funnel(
    store: GraphStore, requests_: list[MarkedRequest]
) -> None:
    model = ScriptedChatModel(
        script=[tool_call_reply("MarkedBatch", {"sentences": [GOOD, SUBSTITUTION, ECHO, INVENTED]})]
    )
    req = dataclasses.replace(
        requests_[0], request=dataclasses.replace(requests_[0].request, n=4)
    )  # the schema then asks for exactly 4 sentences
    chain = build_marked_chain(model, REWRITE, Funnel(store), SETTINGS)
    out = chain.invoke(req)
    assert model.calls == 1 and len(out.results) == 4
    stages = [r.stage for r in out.results]
    assert stages == [None, "substitution", "echo", "invented"]
    rec = out.results[0].record
    assert rec is not None and rec.text == GOOD.replace("[[", "").replace("]]", "")
    assert rec.tags[-3:] == [f"B-{SD}", f"I-{SD}", "O"]
    prov = rec.provenance
    assert prov.layer == "parents" and prov.related_concept_id == req.concept.id
    assert prov.llm is not None and prov.llm.mode == "marked-rewrite"
    assert prov.llm.kind == "rewrite" and prov.llm.flags == []
    assert "MarkedBatch" in str(model.bound_tools)


def test_invented_specifics_only_flag_when_configured(
    store: GraphStore, requests_: list[MarkedRequest]
) -> None:
    from hilgen_graph.validation.sentence_checks import SentenceChecks

    req = dataclasses.replace(requests_[0], request=dataclasses.replace(requests_[0].request, n=1))
    model = ScriptedChatModel(script=[tool_call_reply("MarkedBatch", {"sentences": [INVENTED]})])
    funnel = Funnel(store, sentence_checks=SentenceChecks(reject_invented=False))
    out = build_marked_chain(model, REWRITE, funnel, SETTINGS).invoke(req)
    rec = out.results[0].record
    assert rec is not None and rec.provenance.llm is not None
    assert {"year 1994", "percentage 45%", "person Dr. John Doe"} <= set(rec.provenance.llm.flags)


def test_a_reply_without_the_tool_is_a_parse_rejection(
    store: GraphStore, requests_: list[MarkedRequest]
) -> None:
    model = ScriptedChatModel(script=[text_reply("Sure!"), text_reply("Sure again!")])
    out = build_marked_chain(model, REWRITE, Funnel(store), SETTINGS).invoke(requests_[0])
    assert [r.stage for r in out.results] == ["parse"] and out.repairs == 1
    assert out.results[0].candidate.raw_output == "Sure again!"


def test_marked_and_annotated_templates_need_their_own_builders(store: GraphStore) -> None:
    model = ScriptedChatModel(script=[])
    with pytest.raises(ConfigError, match="build_marked_chain"):
        build_chain(model, REWRITE, Funnel(store), SETTINGS)
    with pytest.raises(ConfigError, match="not a marked template"):
        build_marked_chain(model, load_template("grounded-siblings"), Funnel(store), SETTINGS)
