"""Fuzz every reader with seeded mutations of real inputs: 0 crashes, 0 silent acceptances.

Each reader, on each mutated input, either returns exactly what the file says (the unmutated
result for a BOM, CRLF or gzip copy; a result whose invariants hold otherwise) or raises the
project's error (a ``HilgenError``) naming the file, and the line where the mutation has a
known line (a byte that is not UTF-8, a tab splitting a column, a control character, ...).
Any other exception is a crash. Seeded: the same inputs on every run.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from tests.fuzz.mutate import Mutation, generic
from tests.fuzz.targets import (
    TESTS,
    Target,
    conll_slice,
    conll_target,
    mesh_slice,
    mesh_target,
    mesh_xml_target,
    obo_slice,
    obo_target,
    pubtator_slice,
    pubtator_target,
    rrf_target,
    semnet_target,
)

from hilgen_graph.errors import HilgenError

SEED = 13
# The smallest number of mutated inputs each target must have run (the suite's total >= 2,000).
QUOTAS = {
    "pubtator-bc5cdr": 220,
    "pubtator-ncbi": 220,
    "pubtator-dialects": 120,
    "conll-ncbi": 200,
    "conll-bc5cdr": 200,
    "rrf-direction": 280,
    "rrf-scispacy": 100,
    "obo": 200,
    "mesh": 200,
    "mesh-xml": 60,
    "semantic-network": 200,
}


def _targets(data: Path) -> dict[str, Target]:
    ner, kb = data / "ner", data / "kb"
    return {
        t.name: t
        for t in (
            pubtator_target(
                "pubtator-bc5cdr",
                pubtator_slice(ner / "bc5cdr/pubtator/CDR_TrainingSet.PubTator.txt", 6),
                150,
            ),
            pubtator_target(
                "pubtator-ncbi",
                pubtator_slice(ner / "ncbi_disease/original/NCBItrainset_corpus.txt", 6),
                150,
            ),
            pubtator_target(
                "pubtator-dialects",
                (TESTS / "fixtures/pubtator_dialects/train.txt").read_bytes(),
                60,
            ),
            conll_target("conll-ncbi", conll_slice(ner / "ncbi_disease/conll/train.tsv", 30), 130),
            conll_target("conll-bc5cdr", conll_slice(ner / "bc5cdr/iob/train.tsv", 30), 130),
            rrf_target(
                "rrf-direction",
                TESTS / "fixtures/rrf/direction",
                {
                    "MRCONSO.RRF": 60,
                    "MRSTY.RRF": 40,
                    "MRREL.RRF": 40,
                    "MRSAB.RRF": 30,
                    "MRFILES.RRF": 20,
                },
                "mrrel",
            ),
            rrf_target(
                "rrf-scispacy",
                kb / "umls_rrf_fixture",
                {"MRCONSO.RRF": 30, "MRSTY.RRF": 20, "MRFILES.RRF": 20},
                "none",
            ),
            obo_target(obo_slice(kb / "doid2016/doid_2016-09-01.obo", 25), 160),
            mesh_target(mesh_slice(kb / "mesh2024", 12), 80),
            mesh_xml_target((TESTS / "graph_loader/fixtures/desc_sample.xml").read_bytes(), 60),
            semnet_target(kb / "umls_semantic_network", 115, 50),
        )
    }


def _judge(m: Mutation, target: Target, work: Path, base: Any) -> str | None:
    """What is wrong with the reader's outcome on ``m`` (None when it is right)."""
    path = work / m.file
    try:
        result = target.read(work)
    except HilgenError as err:
        where, line = getattr(err, "path", None), getattr(err, "line", None)
        if m.expect in ("same", "parse"):
            return f"raised on a readable file: {err}"
        if m.expect in ("error_at", "line_if_error"):
            if where != str(path) or line != m.line:
                return f"error names {where}:{line}, expected {path}:{m.line}: {err}"
            return None
        if str(work) not in str(err):
            return f"error does not name the file: {err}"
        return None
    except Exception as err:  # noqa: BLE001 - a crash is what this suite looks for
        return f"CRASH {type(err).__name__}: {err}"
    if m.expect in ("error", "error_at"):
        return "accepted silently (no error)"
    if m.expect == "same" and result != base:
        return "read differently from the unmutated file"
    if m.expect == "parse" and m.check is not None and not m.check(result):
        return "read, but not what the file says"
    problems = target.invariants(result)
    return "; ".join(problems[:3]) if problems else None


def _run(target: Target, tmp: Path) -> tuple[int, list[str]]:
    rng = random.Random(f"{SEED}:{target.name}")
    work = tmp / target.name
    work.mkdir()
    for name, data in target.files.items():
        (work / name).write_bytes(data)
    base = target.read(work)
    assert not target.invariants(base), target.invariants(base)
    count, failures = 0, []
    for file, n in target.mutable.items():
        original = target.files[file]
        mutations = list(generic(rng, file, original, n))
        if target.special is not None:
            mutations += list(target.special(rng, file, original, base))
        for m in mutations:
            (work / file).write_bytes(m.data)
            problem = _judge(m, target, work, base)
            count += 1
            if problem is not None:
                failures.append(f"{m!r}: {problem}")
        (work / file).write_bytes(original)
    return count, failures


@pytest.fixture(scope="module")
def targets(data_root: Path) -> dict[str, Target]:
    return _targets(data_root)


@pytest.mark.parametrize("name", list(QUOTAS))
def test_reader_survives_mutations(name: str, targets: dict[str, Target], tmp_path: Path) -> None:
    count, failures = _run(targets[name], tmp_path)
    print(f"{name}: {count} mutated inputs")
    assert not failures, f"{len(failures)} of {count} mutated inputs:\n" + "\n".join(failures[:15])
    assert count >= QUOTAS[name]


def test_quotas_add_up_to_the_promised_total() -> None:
    assert sum(QUOTAS.values()) >= 2000
