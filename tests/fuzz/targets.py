"""The readers under fuzz, each over small real inputs, with its reader-specific mutations.

Inputs are the fixtures in the repository (``tests/fixtures/rrf``, ``tests/graph_loader/
fixtures``, ``tests/fixtures/pubtator_dialects``) and small slices of the real corpora and
knowledge sources in the data directory, cut at test time (never copied into the repository).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.fuzz.mutate import HUGE, Mutation, insert_at, lines_of, with_line

from hilgen_graph.corpus.conll import read_conll
from hilgen_graph.corpus.pubtator import read_pubtator
from hilgen_graph.corpus.records import Document
from hilgen_graph.graph.records import TableBlock
from hilgen_graph.graph_loader.mesh import MeshSource
from hilgen_graph.graph_loader.obo import OboSource
from hilgen_graph.graph_loader.semantic_network import load_semantic_network
from hilgen_graph.graph_loader.umls import UmlsSource
from hilgen_graph.textio import control_characters

TESTS = Path(__file__).resolve().parent.parent
Special = Callable[[random.Random, str, bytes, Any], Iterator[Mutation]]


@dataclass
class Target:
    """A reader over a folder of ``files``; ``mutable`` files get ``n`` random mutations each
    plus the reader's ``special`` ones (which may look at the unmutated result)."""

    name: str
    files: dict[str, bytes]
    mutable: dict[str, int]  # file -> number of random mutations
    read: Callable[[Path], Any]
    invariants: Callable[[Any], list[str]]
    special: Special | None = None
    specials: int = 0  # how many special mutations per mutable file
    extra: dict[str, Any] = field(default_factory=dict)


def _field_spans(body: bytes, sep: bytes) -> list[tuple[int, int]]:
    spans, start = [], 0
    for part in body.split(sep):
        spans.append((start, start + len(part)))
        start += len(part) + len(sep)
    return spans


def _inside_field(rng: random.Random, body: bytes, sep: bytes, skip: int = 0) -> int | None:
    """A position strictly inside a field of at least two bytes (fields before ``skip`` not)."""
    spans = [(a, b) for a, b in _field_spans(body, sep)[skip:] if b - a >= 2]
    if not spans:
        return None
    a, b = rng.choice(spans)
    return rng.randrange(a + 1, b)


def _pick(rng: random.Random, lines: list[bytes], ok: Callable[[bytes], bool]) -> int | None:
    candidates = [i for i, line in enumerate(lines) if ok(line.rstrip(b"\r\n"))]
    return rng.choice(candidates) if candidates else None


# --- PubTator ---------------------------------------------------------------------------------
_MENTION = re.compile(rb"^[^|\t]+\t\d+\t\d+\t")


def pubtator_slice(path: Path, docs: int) -> bytes:
    blocks = path.read_bytes().split(b"\n\n")
    return b"\n\n".join(blocks[:docs]) + b"\n\n"


def _read_pubtator(folder: Path) -> tuple[Document, ...]:
    return read_pubtator(folder / "corpus.txt").corpus.documents


def _pubtator_invariants(docs: tuple[Document, ...]) -> list[str]:
    bad = []
    for doc in docs:
        if doc.title and not doc.text.startswith(doc.title):
            bad.append(f"{doc.id}: text does not start with the title")
        for e in doc.entities:
            if doc.text[e.start : e.end] != e.text:
                bad.append(f"{doc.id}: entity {e.text!r} is not the text at its offsets")
            if not e.label or control_characters(e.label) or "\t" in e.label:
                bad.append(f"{doc.id}: entity label {e.label!r}")
            if any(not i or i != i.strip() or control_characters(i) for i in e.concept_ids):
                bad.append(f"{doc.id}: concept ids {e.concept_ids!r}")
        bad.extend(_sentence_problems(doc))
    return bad


def _sentence_problems(doc: Document) -> list[str]:
    bad = []
    for s in doc.sentences:
        for t in s.tokens:
            if s.text[t.start : t.end] != t.text:
                bad.append(f"{s.id}: token {t.text!r} is not the text at its offsets")
        for e in s.entities:
            if s.text[e.start : e.end] != e.text:
                bad.append(f"{s.id}: entity {e.text!r} is not the text at its offsets")
    return bad


def _pubtator_special(
    rng: random.Random, file: str, data: bytes, base: tuple[Document, ...]
) -> Iterator[Mutation]:
    lines = lines_of(data)

    def mention(body: bytes) -> bool:
        return bool(_MENTION.match(body)) and 5 <= body.count(b"\t") + 1 <= 7

    for _ in range(30):  # a tab inside any column of a mention line: never a silent new column
        i = _pick(rng, lines, mention)
        if i is None:
            break
        body = lines[i].rstrip(b"\r\n")
        pos = _inside_field(rng, body, b"\t")
        if pos is not None:
            yield Mutation(
                "tab inside a column",
                file,
                with_line(lines, i, insert_at(lines[i], pos, b"\t")),
                "error_at",
                line=i + 1,
            )
    for _ in range(10):  # a tab inside the type column, as in 'Modif<TAB>ier'
        i = _pick(rng, lines, lambda b: mention(b) and len(b.split(b"\t")[4]) >= 2)
        if i is None:
            break
        body = lines[i].rstrip(b"\r\n")
        a, b = _field_spans(body, b"\t")[4]
        pos = rng.randrange(a + 1, b)
        yield Mutation(
            "tab inside the type",
            file,
            with_line(lines, i, insert_at(lines[i], pos, b"\t")),
            "error_at",
            line=i + 1,
        )
    for _ in range(30):  # changed offsets: an error at that line, or still the text's entity
        i = _pick(rng, lines, mention)
        if i is None:
            break
        cols = lines[i].rstrip(b"\r\n").split(b"\t")
        col = rng.choice((1, 2))
        cols[col] = str(max(0, int(cols[col]) + rng.choice((-7, -2, -1, 1, 3, 50, 10**6)))).encode()
        yield Mutation(
            "changed offset",
            file,
            with_line(lines, i, b"\t".join(cols)),
            "line_if_error",
            line=i + 1,
        )
    for _ in range(10):  # a control character in the type or id column
        i = _pick(rng, lines, lambda b: mention(b) and b.count(b"\t") >= 5)
        if i is None:
            break
        cols = lines[i].rstrip(b"\r\n").split(b"\t")
        col = rng.choice((4, 5))
        cols[col] = insert_at(
            cols[col], rng.randrange(len(cols[col]) + 1), rng.choice((b"\x00", b"\x1b"))
        )
        yield Mutation(
            "control character", file, with_line(lines, i, b"\t".join(cols)), "error_at", line=i + 1
        )
    # a huge abstract: read, with the same entities
    i = _pick(rng, lines, lambda b: b"|a|" in b)
    if i is not None:
        body = lines[i].rstrip(b"\r\n") + b" " + b"x" * HUGE
        doc_id = lines[i].split(b"|", 1)[0].decode()
        want = next(d.entities for d in base if d.id == doc_id)

        def same_entities(docs: tuple[Document, ...]) -> bool:
            doc = next(d for d in docs if d.id == doc_id)
            return doc.entities == want and len(doc.text) > HUGE

        yield Mutation("huge line", file, with_line(lines, i, body), "parse", check=same_entities)


def pubtator_target(name: str, data: bytes, n: int) -> Target:
    return Target(
        name,
        {"corpus.txt": data},
        {"corpus.txt": n},
        _read_pubtator,
        _pubtator_invariants,
        _pubtator_special,
    )


# --- CoNLL ------------------------------------------------------------------------------------
def conll_slice(path: Path, sentences: int) -> bytes:
    blocks = path.read_bytes().split(b"\n\n")
    return b"\n\n".join(blocks[:sentences]) + b"\n\n"


def _read_conll(folder: Path) -> tuple[Document, ...]:
    return read_conll(folder / "train.tsv").corpus.documents


def _conll_invariants(docs: tuple[Document, ...]) -> list[str]:
    bad = []
    for doc in docs:
        for s in doc.sentences:
            for w in s.words:
                if not w or control_characters(w) or any(c.isspace() for c in w):
                    bad.append(f"{s.id}: token {w!r}")
            for t in s.tags:
                if t != "O" and (t[:2] not in ("B-", "I-") or len(t) < 3 or " " in t):
                    bad.append(f"{s.id}: tag {t!r}")
        bad.extend(_sentence_problems(doc))
    return bad


def _conll_special(rng: random.Random, file: str, data: bytes, base: Any) -> Iterator[Mutation]:
    lines = lines_of(data)

    def token_line(body: bytes) -> bool:
        return body.count(b"\t") == 1 and not body.startswith(b"-DOCSTART-")

    def edit(kind: str, fn: Callable[[list[bytes]], list[bytes] | None]) -> Iterator[Mutation]:
        i = _pick(rng, lines, token_line)
        if i is None:
            return
        cols = fn(lines[i].rstrip(b"\r\n").split(b"\t"))
        if cols is not None:
            yield Mutation(
                kind, file, with_line(lines, i, b"\t".join(cols)), "error_at", line=i + 1
            )

    def inside(what: bytes, col: int) -> Callable[[list[bytes]], list[bytes] | None]:
        def fn(cols: list[bytes]) -> list[bytes] | None:
            if len(cols[col]) < 2:
                return None
            cols[col] = insert_at(cols[col], rng.randrange(1, len(cols[col])), what)
            return cols

        return fn

    def tag(value: bytes) -> Callable[[list[bytes]], list[bytes]]:
        return lambda cols: [cols[0], value]

    for _ in range(12):
        yield from edit("tab inside a token", inside(b"\t", 0))  # 'mut<TAB>ation<TAB>O'
        yield from edit("tab inside a tag", inside(b"\t", 1))
        yield from edit("space inside a token", inside(b" ", 0))
        yield from edit("NUL inside a token", inside(b"\x00", 0))
        yield from edit("ESC inside a tag", inside(b"\x1b", 1))
        yield from edit("two tags", tag(b"Disease I-Disease"))
        yield from edit("two tags", tag(b"B-Disease I-Disease"))
        yield from edit(
            "not IOB2", tag(rng.choice((b"Disease", b"E-Disease", b"S-X", b"B-", b"o")))
        )
    i = _pick(rng, lines, token_line)
    if i is not None:
        huge = b"x" * HUGE
        yield Mutation(
            "huge token",
            file,
            with_line(lines, i, huge + b"\tO"),
            "parse",
            check=lambda docs: any(huge.decode() in s.words for d in docs for s in d.sentences),
        )


def conll_target(name: str, data: bytes, n: int) -> Target:
    return Target(
        name, {"train.tsv": data}, {"train.tsv": n}, _read_conll, _conll_invariants, _conll_special
    )


# --- UMLS RRF ---------------------------------------------------------------------------------
def _graph(records: Any) -> dict[str, list[tuple[Any, ...]]]:
    """A stream's content as sorted rows per kind, table blocks expanded (to compare paths)."""
    out: dict[str, set[tuple[Any, ...]]] = {}
    for rec in records:
        if isinstance(rec, TableBlock):
            kind = {
                "concept": "Concept",
                "term": "Term",
                "xref": "Xref",
                "hastype": "HasType",
                "isa": "Isa",
            }[rec.table_name]
            rows = rec.table.to_pylist()
            for row in rows:
                values = tuple(row.values())
                out.setdefault(kind, set()).add(values + (() if kind != "Concept" else ((),)))
        else:
            values = tuple(getattr(rec, f) for f in rec.__dataclass_fields__)
            out.setdefault(type(rec).__name__, set()).add(values)
    return {k: sorted(v, key=repr) for k, v in out.items()}


def _read_rrf(hierarchy: str) -> Callable[[Path], Any]:
    def read(folder: Path) -> Any:
        stream = _graph(UmlsSource(folder, semantic_network=False, hierarchy=hierarchy))
        columnar = _graph(
            UmlsSource(folder, semantic_network=False, hierarchy=hierarchy).columnar_records()
        )
        return stream, columnar

    return read


def _rrf_invariants(result: Any) -> list[str]:
    stream, columnar = result
    bad = [] if stream == columnar else ["the streaming and the columnar path differ"]
    for row in stream.get("Concept", []):
        if not row[0] or control_characters(row[0]) or row[0] != row[0].strip("\ufeff"):
            bad.append(f"concept id {row[0]!r}")
    return bad


def _rrf_special(rng: random.Random, file: str, data: bytes, base: Any) -> Iterator[Mutation]:
    lines = lines_of(data)
    if file == "MRFILES.RRF":
        return
    for _ in range(12):  # a '|' inside a row: one field too many, at that line
        i = _pick(rng, lines, lambda b: b.endswith(b"|"))
        if i is None:
            break
        pos = rng.randrange(len(lines[i].rstrip(b"\r\n")) + 1)
        yield Mutation(
            "extra separator",
            file,
            with_line(lines, i, insert_at(lines[i], pos, b"|")),
            "error_at",
            line=i + 1,
        )
    if file == "MRCONSO.RRF":
        for i in {0, rng.randrange(len(lines))}:  # an empty CUI (the first row's too)
            body = lines[i].rstrip(b"\r\n")
            yield Mutation(
                "empty CUI",
                file,
                with_line(lines, i, body[body.index(b"|") :]),
                "error_at",
                line=i + 1,
            )
        i = _pick(rng, lines, lambda b: b.split(b"|")[1] == b"ENG" and b.split(b"|")[16] == b"N")
        assert i is not None
        cols = lines[i].rstrip(b"\r\n").split(b"|")
        cols[14] = b"y" * HUGE  # STR of a row the filters keep
        yield Mutation(
            "huge STR",
            file,
            with_line(lines, i, b"|".join(cols)),
            "parse",
            check=lambda r: any(row[1] == "y" * HUGE for row in r[0].get("Term", [])),
        )


def rrf_target(name: str, folder: Path, mutable: dict[str, int], hierarchy: str) -> Target:
    files = {p.name: p.read_bytes() for p in folder.iterdir() if p.name.endswith((".RRF", ".dat"))}
    return Target(name, files, mutable, _read_rrf(hierarchy), _rrf_invariants, _rrf_special)


# --- OBO --------------------------------------------------------------------------------------
def obo_slice(path: Path, terms: int) -> bytes:
    data = path.read_bytes()
    parts = data.split(b"\n[Term]\n")
    return b"\n[Term]\n".join(parts[: terms + 1]) + b"\n"


def _read_obo(folder: Path) -> tuple[Any, ...]:
    return tuple(OboSource(folder / "doid.obo", "DOID"))


def _obo_invariants(records: tuple[Any, ...]) -> list[str]:
    return [
        f"concept id {r.id!r}"
        for r in records
        if type(r).__name__ == "Concept"
        and (not r.id or any(c.isspace() for c in r.id) or control_characters(r.id))
    ]


def _obo_special(rng: random.Random, file: str, data: bytes, base: Any) -> Iterator[Mutation]:
    lines = lines_of(data)
    starts = [i for i, line in enumerate(lines) if line.startswith(b"[Term]")]
    in_term = {
        j
        for s in starts
        for j in range(s + 2, len(lines))
        if all(not lines[k].startswith(b"[") for k in range(s + 1, j + 1))
    }
    for _ in range(25):  # a tag line without its colon, inside a [Term] stanza
        i = _pick(rng, lines, lambda b: b.startswith((b"name:", b"is_a:", b"xref:", b"def:")))
        if i is None or i not in in_term:
            continue
        yield Mutation(
            "tag without colon",
            file,
            with_line(lines, i, lines[i].rstrip(b"\r\n").replace(b":", b" ")),
            "error_at",
            line=i + 1,
        )
    for _ in range(10):
        i = _pick(rng, lines, lambda b: b.startswith(b"synonym:"))
        if i is None:
            break
        yield Mutation(
            "malformed synonym",
            file,
            with_line(lines, i, b"synonym: no quotes EXACT []"),
            "error_at",
            line=i + 1,
        )
    i = _pick(rng, lines, lambda b: b.startswith(b"name:"))
    if i is not None:
        huge = "n" * HUGE
        yield Mutation(
            "huge name",
            file,
            with_line(lines, i, b"name: " + huge.encode()),
            "parse",
            check=lambda recs: any(getattr(r, "preferred_name", "") == huge for r in recs),
        )


def obo_target(data: bytes, n: int) -> Target:
    return Target(
        "obo", {"doid.obo": data}, {"doid.obo": n}, _read_obo, _obo_invariants, _obo_special
    )


# --- MeSH -------------------------------------------------------------------------------------
MESH_TERMS = "mesh2024_descriptor_terms.tsv"
MESH_TREES = "mesh2024_tree_numbers.tsv"


def mesh_slice(folder: Path, descriptors: int) -> dict[str, bytes]:
    terms = lines_of((folder / MESH_TERMS).read_bytes())
    keep: list[bytes] = [terms[0]]
    uis: list[bytes] = []
    for line in terms[1:]:
        ui = line.split(b"\t", 1)[0]
        if ui not in uis:
            if len(uis) == descriptors:
                break
            uis.append(ui)
        keep.append(line)
    wanted = set(uis)
    trees = lines_of((folder / MESH_TREES).read_bytes())
    tree_rows = [trees[0]] + [line for line in trees[1:] if line.split(b"\t", 1)[0] in wanted]
    return {MESH_TERMS: b"".join(keep), MESH_TREES: b"".join(tree_rows)}


def _read_mesh(folder: Path) -> tuple[Any, ...]:
    return tuple(MeshSource(folder))


def _tsv_special(rng: random.Random, file: str, data: bytes, base: Any) -> Iterator[Mutation]:
    """A tab inside a field of a data row (not the header): one field too many, at that line."""
    lines = lines_of(data)
    for _ in range(20):
        i = rng.randrange(1, len(lines))
        body = lines[i].rstrip(b"\r\n")
        pos = _inside_field(rng, body, b"\t")
        if pos is not None:
            yield Mutation(
                "tab inside a field",
                file,
                with_line(lines, i, insert_at(lines[i], pos, b"\t")),
                "error_at",
                line=i + 1,
            )


def _mesh_special(rng: random.Random, file: str, data: bytes, base: Any) -> Iterator[Mutation]:
    yield from _tsv_special(rng, file, data, base)
    if file == MESH_TERMS:
        lines = lines_of(data)
        i = rng.randrange(1, len(lines))
        cols = lines[i].rstrip(b"\r\n").split(b"\t")
        huge = "t" * HUGE
        cols[4] = huge.encode()  # TermName
        yield Mutation(
            "huge term",
            file,
            with_line(lines, i, b"\t".join(cols)),
            "parse",
            check=lambda recs: any(getattr(r, "text", "") == huge for r in recs),
        )


def mesh_target(files: dict[str, bytes], n: int) -> Target:
    return Target("mesh", files, dict.fromkeys(files, n), _read_mesh, lambda r: [], _mesh_special)


def _read_mesh_xml(folder: Path) -> tuple[Any, ...]:
    return tuple(MeshSource(folder / "desc2024.xml"))


def mesh_xml_target(data: bytes, n: int) -> Target:
    return Target(
        "mesh-xml", {"desc2024.xml": data}, {"desc2024.xml": n}, _read_mesh_xml, lambda r: []
    )


# --- Semantic Network -------------------------------------------------------------------------
def _read_semnet(folder: Path) -> Any:
    return load_semantic_network(folder)


def _semnet_special(rng: random.Random, file: str, data: bytes, base: Any) -> Iterator[Mutation]:
    if not file.endswith(".tsv"):
        return
    yield from _tsv_special(rng, file, data, base)
    lines = lines_of(data)
    i = rng.randrange(1, len(lines))
    cols = lines[i].rstrip(b"\r\n").split(b"\t")
    cols[2] = b"d" * HUGE  # definition
    yield Mutation(
        "huge definition",
        file,
        with_line(lines, i, b"\t".join(cols)),
        "parse",
        check=lambda net: net == base,
    )


def semnet_target(folder: Path, n_tsv: int, n_obo: int) -> Target:
    tsv = next(p for p in sorted(folder.glob("sty_*.tsv")) if "synonyms" not in p.name)
    files = {
        tsv.name: tsv.read_bytes(),
        tsv.with_suffix(".obo").name: tsv.with_suffix(".obo").read_bytes(),
    }
    mutable = {tsv.name: n_tsv, tsv.with_suffix(".obo").name: n_obo}
    return Target("semantic-network", files, mutable, _read_semnet, lambda r: [], _semnet_special)
