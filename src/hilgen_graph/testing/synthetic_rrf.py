"""A generator of synthetic UMLS RRF releases at UMLS proportions, deterministic by seed.

The files have the real column layouts (and an ``MRFILES.RRF`` that lists them): MRCONSO
(sorted by CUI, as real releases are), MRSTY, MRREL (every is-a edge twice, ``PAR``/``CHD``,
with ``RELA`` ``inverse_isa``/``isa`` for SNOMEDCT_US, as real releases carry it), MRSAB and
optionally MRHIER. Sizes are settable: the default is 1M concepts, 4M MRCONSO rows and 3M is-a
rows in MRREL; tests use a few hundred. Names are made-up words; a few carry quotes, backslashes
and Cypher keywords so that stores can be checked to keep text verbatim. Some rows are
non-English or suppressed, so the default filters have something to drop.
"""

from __future__ import annotations

import gzip
import os
import random
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from hilgen_graph.errors import ConfigError
from hilgen_graph.graph_loader.rrf import DEFAULT_COLUMNS

SYNTHETIC_SABS: tuple[str, ...] = ("SNOMEDCT_US", "MSH", "RXNORM", "NCI")
SYNTHETIC_TUIS: tuple[str, ...] = (
    "T047", "T121", "T109", "T191", "T023", "T061", "T033", "T037", "T046", "T184", "T116",
    "T126", "T029", "T025", "T060",
)  # fmt: skip
_STY_NAMES = {
    "T047": "Disease or Syndrome", "T121": "Pharmacologic Substance", "T109": "Organic Chemical",
    "T191": "Neoplastic Process", "T023": "Body Part, Organ, or Organ Component",
    "T061": "Therapeutic or Preventive Procedure", "T033": "Finding",
    "T037": "Injury or Poisoning", "T046": "Pathologic Function", "T184": "Sign or Symptom",
    "T116": "Amino Acid, Peptide, or Protein", "T126": "Enzyme",
    "T029": "Body Location or Region", "T025": "Cell", "T060": "Diagnostic Procedure",
}  # fmt: skip
# Names that a store must keep verbatim (quotes, backslashes, Cypher keywords).
TRICKY_NAMES: tuple[str, ...] = (
    'O\'Brien "quoted" syndrome',
    "back\\slash disease \\n",
    "MATCH (n) DETACH DELETE n",
    "RETURN 1; DROP DATABASE neo4j //",
    "`backtick` {brace} $param",
)
_SYLLABLES = (
    "ab", "ac", "al", "an", "ar", "bi", "bro", "car", "cel", "chol", "cy", "de", "der", "di",
    "dys", "ec", "en", "er", "fib", "gas", "gen", "glo", "hem", "hep", "hy", "id", "in", "is",
    "ka", "lar", "lep", "li", "lo", "ma", "mel", "my", "ne", "neo", "nu", "o", "ol", "om", "os",
    "pa", "path", "per", "pha", "pro", "pul", "ra", "ren", "ro", "sa", "scler", "si", "so",
    "spa", "ta", "ter", "the", "thy", "to", "tri", "ul", "um", "ur", "va", "vas", "xi", "zo",
)  # fmt: skip
_SUFFIXES = ("itis", "osis", "emia", "oma", "ase", "ine", "ol", "ide", "al", "ia", "pathy", "")
_CHUNK = 20_000


@dataclass(frozen=True, slots=True)
class SyntheticRrfSpec:
    """Sizes of a synthetic release. ``isa_rows`` counts MRREL rows (two per is-a edge)."""

    concepts: int = 1_000_000
    conso_rows: int = 4_000_000
    isa_rows: int = 3_000_000
    other_rel_rows: int = 0  # non-hierarchical MRREL rows (RO), which the loader skips
    seed: int = 0
    sabs: tuple[str, ...] = SYNTHETIC_SABS
    non_english_every: int = 23  # every n-th non-first MRCONSO row is Spanish
    suppressed_every: int = 29  # every n-th non-first MRCONSO row has SUPPRESS=O
    tricky_every: int = 97  # every n-th concept gets a tricky name as a synonym
    mrhier: bool = False
    compress: bool = False

    @staticmethod
    def small(concepts: int = 200, seed: int = 0, **kw: object) -> SyntheticRrfSpec:
        """A test-sized release with the default proportions (4 names, 3 is-a rows/concept)."""
        return SyntheticRrfSpec(
            concepts=concepts,
            conso_rows=concepts * 4,
            isa_rows=(concepts * 3) // 2 * 2,
            seed=seed,
            **kw,  # type: ignore[arg-type]
        )

    def scaled(self, concepts: int) -> SyntheticRrfSpec:
        """Same proportions as the default (UMLS-like) spec, at another concept count."""
        return SyntheticRrfSpec(
            concepts=concepts,
            conso_rows=concepts * 4,
            isa_rows=(concepts * 3) // 2 * 2,
            other_rel_rows=self.other_rel_rows,
            seed=self.seed,
            sabs=self.sabs,
            mrhier=self.mrhier,
            compress=self.compress,
        )


@dataclass(slots=True)
class SyntheticRrfRelease:
    """What was written: the META folder, files and row counts, and the truth for tests."""

    meta_dir: Path
    spec: SyntheticRrfSpec
    files: dict[str, Path] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    isa_edges: int = 0

    @property
    def total_rows(self) -> int:
        return sum(self.rows.get(n, 0) for n in ("MRCONSO.RRF", "MRSTY.RRF", "MRREL.RRF"))


def cui(i: int) -> str:
    return f"C{i + 1:07d}"


def _aui(i: int) -> str:
    return f"A{i + 1:08d}"


def _open_out(path: Path, compress: bool) -> IO[str]:
    if compress:
        return gzip.open(path, "wt", encoding="utf-8", compresslevel=1, newline="\n")
    return path.open("w", encoding="utf-8", newline="\n")


class _Words:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def word(self) -> str:
        r = self.rng.random
        n = 1 + int(r() * 3)
        syl = _SYLLABLES
        parts = [syl[int(r() * len(syl))] for _ in range(n)]
        parts.append(_SUFFIXES[int(r() * len(_SUFFIXES))])
        return "".join(parts)

    def name(self) -> str:
        n = 1 + int(self.rng.random() * 3)
        words = [self.word() for _ in range(n)]
        words[0] = words[0].capitalize()
        return " ".join(words)


def parents_of(spec: SyntheticRrfSpec) -> Iterator[tuple[int, int]]:
    """The synthetic is-a edges (child index, parent index), deterministic by seed.

    Every concept but the first few (the roots) gets one parent among earlier concepts; extra
    parents, also earlier concepts, are added child after child (cycling) until there are
    ``isa_rows // 2`` edges. The result is a DAG without duplicate edges.
    """
    rng = random.Random(spec.seed * 7919 + 1)
    edges = spec.isa_rows // 2
    roots = min(spec.concepts, max(1, spec.concepts // 1000))
    first = array("q", [0]) * spec.concepts
    made = 0
    for child in range(roots, spec.concepts):
        if made >= edges:
            return
        parent = int(rng.random() * child)
        first[child] = parent
        yield child, parent
        made += 1
    seen: set[int] = set()
    child = roots + 1
    attempts = 0
    while made < edges and spec.concepts > roots + 1 and attempts < edges * 4:
        attempts += 1
        parent = int(rng.random() * child)
        key = child * spec.concepts + parent
        if parent != first[child] and key not in seen:
            seen.add(key)
            yield child, parent
            made += 1
        child += 1
        if child >= spec.concepts:
            child = roots + 1


def write_synthetic_rrf(
    out_dir: Path | str, spec: SyntheticRrfSpec | None = None
) -> SyntheticRrfRelease:
    """Write a synthetic release into ``out_dir`` (created); each file is written atomically."""
    spec = spec or SyntheticRrfSpec()
    if spec.concepts < 1 or spec.conso_rows < spec.concepts or spec.isa_rows < 0:
        raise ConfigError(
            f"synthetic RRF sizes must have concepts >= 1 and conso_rows >= concepts "
            f"(got concepts={spec.concepts}, conso_rows={spec.conso_rows}, "
            f"isa_rows={spec.isa_rows})"
        )
    meta = Path(out_dir)
    meta.mkdir(parents=True, exist_ok=True)
    release = SyntheticRrfRelease(meta, spec)
    ext = ".gz" if spec.compress else ""
    first_aui = _write_mrconso(meta / f"MRCONSO.RRF{ext}", spec, release)
    _write_mrsty(meta / f"MRSTY.RRF{ext}", spec, release)
    _write_mrrel(meta / f"MRREL.RRF{ext}", spec, release)
    if spec.mrhier:
        _write_mrhier(meta / f"MRHIER.RRF{ext}", spec, release, first_aui)
    _write_mrsab(meta / f"MRSAB.RRF{ext}", spec, release)
    _write_mrfiles(meta / "MRFILES.RRF", release)
    return release


class _AtomicWriter:
    def __init__(self, path: Path, compress: bool) -> None:
        self.path = path
        self.tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        self.fh = _open_out(self.tmp, compress)
        self.buf: list[str] = []
        self.rows = 0

    def add(self, line: str) -> None:
        self.buf.append(line)
        if len(self.buf) >= _CHUNK:
            self.flush()

    def flush(self) -> None:
        self.rows += len(self.buf)
        self.fh.write("".join(self.buf))
        self.buf.clear()

    def close(self, release: SyntheticRrfRelease) -> None:
        self.flush()
        self.fh.close()
        os.replace(self.tmp, self.path)
        name = self.path.name.removesuffix(".gz")
        release.files[name] = self.path
        release.rows[name] = self.rows


def _write_mrconso(path: Path, spec: SyntheticRrfSpec, release: SyntheticRrfRelease) -> list[int]:
    rng = random.Random(spec.seed)
    words = _Words(rng)
    out = _AtomicWriter(path, spec.compress)
    base, extra = divmod(spec.conso_rows, spec.concepts)
    sabs = spec.sabs
    aui = lui = 0
    row_no = 0
    first_aui: list[int] = []
    for i in range(spec.concepts):
        c = cui(i)
        n = base + (1 if i < extra else 0)
        name = words.name()
        sab0 = sabs[i % len(sabs)]
        first_aui.append(aui)
        for k in range(n):
            row_no += 1
            if k == 0:
                text, sab, lat, sup = name, sab0, "ENG", "N"
                ts, stt, ispref, tty = "P", "PF", "Y", "PT"
            else:
                sab = sabs[(i + k) % len(sabs)]
                if k == 1 and spec.tricky_every and i % spec.tricky_every == 0:
                    text = TRICKY_NAMES[(i // spec.tricky_every) % len(TRICKY_NAMES)]
                elif k == 1:
                    text = name  # the preferred name again, from another source
                else:
                    text = words.name() if k % 2 else f"{name}, {words.word()}"
                lat = (
                    "SPA"
                    if spec.non_english_every and row_no % spec.non_english_every == 0
                    else "ENG"
                )
                sup = "O" if spec.suppressed_every and row_no % spec.suppressed_every == 0 else "N"
                ts, stt, ispref, tty = "S", "VO", "Y" if k % 3 else "N", "SY"
            code = f"{sab[:2]}{i + 1:07d}"
            out.add(
                f"{c}|{lat}|{ts}|L{lui + 1:07d}|{stt}|S{aui + 1:07d}|{ispref}|{_aui(aui)}||"
                f"{code}||{sab}|{tty}|{code}|{text}|0|{sup}|256|\n"
            )
            aui += 1
            lui += 1
    out.close(release)
    return first_aui


def _write_mrsty(path: Path, spec: SyntheticRrfSpec, release: SyntheticRrfRelease) -> None:
    rng = random.Random(spec.seed + 1)
    out = _AtomicWriter(path, spec.compress)
    tuis = SYNTHETIC_TUIS
    at = 0
    for i in range(spec.concepts):
        first = tuis[int(rng.random() * len(tuis))]
        chosen = [first]
        if rng.random() < 0.3:
            second = tuis[int(rng.random() * len(tuis))]
            if second != first:
                chosen.append(second)
        for tui in chosen:
            at += 1
            out.add(f"{cui(i)}|{tui}|A1.2.3|{_STY_NAMES[tui]}|AT{at:08d}|256|\n")
    out.close(release)


def _write_mrrel(path: Path, spec: SyntheticRrfSpec, release: SyntheticRrfRelease) -> None:
    out = _AtomicWriter(path, spec.compress)
    sabs = spec.sabs
    rui = 0
    edges = 0
    rng = random.Random(spec.seed + 2)
    other_every = (spec.isa_rows // spec.other_rel_rows) if spec.other_rel_rows else 0
    other_left = spec.other_rel_rows
    for child, parent in parents_of(spec):
        edges += 1
        sab = sabs[(child + parent) % len(sabs)]
        up, down = ("inverse_isa", "isa") if sab == "SNOMEDCT_US" else ("", "")
        c, p = cui(child), cui(parent)
        rui += 1
        out.add(f"{c}|A|CUI|PAR|{p}|A|CUI|{up}|R{rui:08d}||{sab}|{sab}|||N||\n")
        rui += 1
        out.add(f"{p}|A|CUI|CHD|{c}|A|CUI|{down}|R{rui:08d}||{sab}|{sab}|||N||\n")
        if other_left and other_every and edges % max(1, other_every // 2) == 0:
            other = cui(int(rng.random() * spec.concepts))
            rui += 1
            out.add(f"{c}|A|CUI|RO|{other}|A|CUI|associated_with|R{rui:08d}||{sab}|{sab}|||N||\n")
            other_left -= 1
    release.isa_edges = edges
    out.close(release)


def _write_mrhier(
    path: Path, spec: SyntheticRrfSpec, release: SyntheticRrfRelease, first_aui: list[int]
) -> None:
    out = _AtomicWriter(path, spec.compress)
    sabs = spec.sabs
    for child, parent in parents_of(spec):
        sab = sabs[(child + parent) % len(sabs)]
        out.add(
            f"{cui(child)}|{_aui(first_aui[child])}|1|{_aui(first_aui[parent])}|{sab}|isa|"
            f"{_aui(first_aui[parent])}|||\n"
        )
    out.close(release)


def _write_mrsab(path: Path, spec: SyntheticRrfSpec, release: SyntheticRrfRelease) -> None:
    out = _AtomicWriter(path, spec.compress)
    for n, sab in enumerate(spec.sabs):
        sver = f"synthetic-{spec.seed}"
        fields = [""] * len(DEFAULT_COLUMNS["MRSAB.RRF"])
        cols = DEFAULT_COLUMNS["MRSAB.RRF"]
        values = {
            "VCUI": f"C9{n:06d}", "RCUI": f"C8{n:06d}", "VSAB": f"{sab}_{sver}", "RSAB": sab,
            "SON": f"Synthetic {sab}", "SF": sab, "SVER": sver, "CURVER": "Y", "SABIN": "Y",
            "LAT": "ENG", "CENC": "UTF-8",
        }  # fmt: skip
        for col, value in values.items():
            fields[cols.index(col)] = value
        out.add("|".join(fields) + "|\n")
    out.close(release)


def _write_mrfiles(path: Path, release: SyntheticRrfRelease) -> None:
    out = _AtomicWriter(path, False)
    for name in ("MRCONSO.RRF", "MRSTY.RRF", "MRREL.RRF", "MRHIER.RRF", "MRSAB.RRF"):
        if name in release.rows:
            cols = DEFAULT_COLUMNS[name]
            n_rows = release.rows[name]
            out.add(f"{name}|synthetic {name}|{','.join(cols)}|{len(cols)}|{n_rows}|0|\n")
    out.close(release)
