"""Structured-output schemas and the request records that feed the prompts."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from tests.prompts.llmgen_fixtures import HEMOCHROMATOSIS_SEED, NCBI_LABELS, ncbi_sentence

from hilgen_graph.agents.schemas import (
    Annotation,
    GeneratedBatch,
    GenerationRequest,
    Mention,
    PlainBatch,
    RelatedConcept,
    constrained,
)
from hilgen_graph.graph.records import Concept
from hilgen_graph.prompts import VARIABLES


def test_batch_parses_the_function_calling_payload() -> None:
    batch = GeneratedBatch.model_validate(
        {
            "sentences": [
                {
                    "text": "Iron overload was seen.",
                    "entities": [{"text": "Iron overload", "label": "SpecificDisease"}],
                }
            ]
        }
    )
    assert batch.sentences[0].entities[0] == Mention(text="Iron overload", label="SpecificDisease")
    assert PlainBatch.model_validate({"sentences": ["a", "b"]}).sentences == ["a", "b"]
    assert Annotation.model_validate({}).entities == []


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"sentences": "not a list"},
        {"sentences": [{"entities": []}]},
        {"sentences": [{"text": 3}]},
    ],
)
def test_batch_rejects_payloads_that_do_not_fit(payload: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        GeneratedBatch.model_validate(payload)


def test_schema_fields_are_described_for_the_model() -> None:
    schema = GeneratedBatch.model_json_schema()
    mention = schema["$defs"]["Mention"]["properties"]
    assert (
        "exactly" in mention["text"]["description"] or "character" in mention["text"]["description"]
    )


def test_request_values_fill_every_generation_variable() -> None:
    seed = ncbi_sentence(HEMOCHROMATOSIS_SEED)
    related = (
        RelatedConcept(
            "D019190", "Iron Overload", "parents", ("Disease or Syndrome",), ("iron excess",)
        ),
        RelatedConcept("D008664", "Metal Metabolism, Inborn Errors", "parents"),
    )
    req = GenerationRequest(
        "r1",
        seed,
        seed.entities[0],
        NCBI_LABELS,
        2,
        Concept("D006432", "Hemochromatosis", ("T047",)),
        related,
    )
    values = req.values()
    marked_only = {"name", "semantic_type", "synonym", "parent"}  # MarkedRequest.values()
    assert set(values) == set(VARIABLES) - {"sentence"} - marked_only
    assert values["target_entity"] == "hemochromatosis"
    assert '"Iron Overload" | broader concept (parent) | Disease or Syndrome' in values["concepts"]
    assert 'also called "iron excess"' in values["concepts"]
    assert values["target_concept"] == '"Hemochromatosis" (D006432)'
    assert req.intended_ids == ["D019190", "D008664"]
    assert req.layer_of("D019190") == "parents" and req.layer_of("D000001") is None
    assert values["plan"].splitlines() == [
        '1. use "Iron Overload" instead of "hemochromatosis"',
        '2. use "Metal Metabolism, Inborn Errors" instead of "hemochromatosis"',
    ]


def test_constrained_schema_allows_only_the_given_labels() -> None:
    schema = constrained(GeneratedBatch, ["Disease"])
    assert schema.__name__ == "GeneratedBatch" and issubclass(schema, GeneratedBatch)
    ok = schema.model_validate(
        {
            "sentences": [
                {
                    "text": "Iron overload.",
                    "entities": [{"text": "Iron overload", "label": "Disease"}],
                }
            ]
        }
    )
    assert isinstance(ok, GeneratedBatch)
    with pytest.raises(ValidationError):
        schema.model_validate(
            {"sentences": [{"text": "x", "entities": [{"text": "x", "label": "Iron"}]}]}
        )
    assert constrained(GeneratedBatch, ["Disease"]) is schema  # cached
    assert constrained(PlainBatch, ["Disease"]) is PlainBatch
    assert constrained(GeneratedBatch, []) is GeneratedBatch
    ann = constrained(Annotation, ["Chemical", "Disease"])
    enum = ann.model_json_schema()["$defs"]["Mention"]["properties"]["label"]["enum"]
    assert enum == ["Chemical", "Disease"]
