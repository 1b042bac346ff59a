"""Check-report data: per-stage counts, acceptance tables, grounding share and diversity."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from tests.prompts.llmgen_fixtures import HEMOCHROMATOSIS_SEED, NCBI_LABELS, ncbi_sentence

from hilgen_graph.agents.chains import ChainSettings, candidates_from, make_provenance
from hilgen_graph.agents.schemas import (
    GeneratedSentence,
    GenerationRequest,
    Mention,
    RelatedConcept,
)
from hilgen_graph.prompts import load_template
from hilgen_graph.synthetic import write_synthetic
from hilgen_graph.validation.funnel import Candidate, Funnel
from hilgen_graph.validation.report import (
    build_report,
    check_file,
    distinct_n,
    meta_path,
    rejected_path,
    self_bleu,
    sentence_bleu,
)

SD = "SpecificDisease"


def test_distinct_n_oracle() -> None:
    sents = [["a", "b", "a"], ["A", "c"]]
    assert distinct_n(sents, 1) == pytest.approx(3 / 5)  # a b c over a b a a c
    assert distinct_n(sents, 2) == pytest.approx(3 / 3)  # ab ba ac
    assert distinct_n([], 1) == 0.0


def test_sentence_bleu_oracle() -> None:
    ref = ["the", "cat", "sat", "on", "the", "mat"]
    assert sentence_bleu(ref, [ref]) == pytest.approx(1.0)
    assert sentence_bleu(["dogs", "bark"], [ref]) == 0.0
    hyp = ["the", "cat", "sat", "on", "the", "rug"]
    # p1 = 5/6, p2..p4 smoothed: (4+1)/(5+1), (3+1)/(4+1), (2+1)/(3+1); equal lengths: BP = 1
    expected = math.exp((math.log(5 / 6) + math.log(5 / 6) + math.log(4 / 5) + math.log(3 / 4)) / 4)
    assert sentence_bleu(hyp, [ref]) == pytest.approx(expected)
    short = ["the", "cat"]
    assert sentence_bleu(short, [ref]) < sentence_bleu(hyp, [ref])  # brevity penalty


def test_self_bleu_is_high_for_copies_and_lower_for_varied_sentences() -> None:
    same = [["iron", "overload", "was", "seen", "in", "half"]] * 3
    varied = [
        ["iron", "overload", "was", "seen", "in", "half"],
        ["lymphoma", "developed", "in", "two", "children"],
        ["no", "carrier", "had", "copper", "deficiency"],
    ]
    assert self_bleu(same) == pytest.approx(1.0)
    assert self_bleu(varied) < 0.2
    assert self_bleu(same[:1]) == 0.0


def _req() -> GenerationRequest:
    seed = ncbi_sentence(HEMOCHROMATOSIS_SEED)
    related = (RelatedConcept("D019190", "Iron Overload", "parents"),)
    return GenerationRequest("rq", seed, seed.entities[0], NCBI_LABELS, 2, None, related)


def _cands() -> list[Candidate]:
    req = _req()
    grounded = load_template("grounded-parents-children")
    paper = load_template("paper-siblings")
    s = ChainSettings("m", 0.5)
    pg = make_provenance(req, grounded, s, "grounded", "id1")
    pp = make_provenance(req, paper, s, "two-step", "id2")
    good = [
        GeneratedSentence(
            text="Half of the carriers had iron overload.",
            entities=[Mention(text="iron overload", label=SD)],
        ),
        GeneratedSentence(
            text="Iron overload was seen in two families.",
            entities=[Mention(text="Iron overload", label=SD)],
        ),
    ]
    missing = [
        GeneratedSentence(
            text="Anemia <b> was seen in two families.", entities=[Mention(text="ataxia", label=SD)]
        )
    ]
    return [
        *candidates_from(req, good, lambda _i: pg, "raw-good"),
        *candidates_from(req, missing, lambda _i: pp, "raw-missing"),
        Candidate("broken", pp, raw_output="{oops", parse_error="invalid JSON"),
        *candidates_from(req, good[:1], lambda _i: pg, "raw-dup"),
    ]


def test_build_report_counts_every_sentence_once() -> None:
    results = Funnel(None).run(_cands())
    report = build_report(results, elapsed_s=30.0)
    assert report.total == 5 and report.accepted == 2
    assert report.rejected == {"parse": 1, "span": 1, "duplicate": 1}
    assert sum(report.rejected.values()) + report.accepted == report.total
    stage = {s.stage: s for s in report.stages}
    assert stage["parse"].entered == 5 and stage["parse"].passed == 4
    assert stage["span"].entered == 4 and stage["span"].rejected == 1
    assert stage["grounding"].skipped == 3 and stage["grounding"].entered == 0
    assert report.per_family["parents_children"].total == 3
    assert report.per_family["parents_children"].accepted == 2
    assert report.per_family["siblings"].rate == 0.0
    assert report.per_layer["parents"].total == 3  # template layers
    assert report.examples["parse"][0].raw_output == "{oops"
    assert report.sentences_per_min == pytest.approx(4.0)
    assert 0 < report.diversity.distinct_1 <= 1
    data = report.to_json()
    assert {"total", "accepted", "rejected"} <= set(data)
    json.dumps(data)


def test_check_file_adds_generation_time_rejections(tmp_path: Path) -> None:
    results = Funnel(None).run(_cands())
    out = tmp_path / "synth.jsonl"
    write_synthetic(out, [r.record for r in results if r.record is not None])
    with rejected_path(out).open("w", encoding="utf-8") as fh:
        for r in results:
            if not r.accepted:
                fh.write(r.rejection().model_dump_json() + "\n")
    meta_path(out).write_text(json.dumps({"elapsed_s": 60}), encoding="utf-8")
    report = check_file(out)
    assert report.total == 5 and report.accepted == 2
    assert report.rejected == {"parse": 1, "span": 1, "duplicate": 1}
    assert report.sentences_per_min == pytest.approx(2.0)
    only = check_file(out, include_rejected=False)
    assert only.total == 2 and only.accepted == 2
