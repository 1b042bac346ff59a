"""An approximate-match index over a graph's normalised terms: character trigrams, in arrays.

Built for UMLS scale (millions of terms) without Python objects per term. Every term keeps its
normalised string and concept id in two packed byte tables. Candidate generation is two-level:

1. a trigram inverted index over the *vocabulary of words* (a few hundred thousand entries) finds
   the words similar to each word of the query (trigram Jaccard >= ``word_threshold``);
2. a word -> terms inverted index over each term's ``words_per_term`` rarest words (a prefix
   filter, as in set-similarity joins: a term similar to the query almost always shares one of
   its rarest words) turns those words into candidate terms.

Candidates are then scored exactly: Jaccard similarity of the padded character-trigram sets of
the whole normalised strings (``" " + s + " "``). :meth:`TermIndex.search` returns the best
matches at or above the threshold. Everything is vectorised with pyarrow and numpy; the build
sorts only (rarest word, term) pairs and the vocabulary's trigrams.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hilgen_graph.atomic import write_with
from hilgen_graph.errors import ExpansionError
from hilgen_graph.graph.normalize import normalize
from hilgen_graph.graph.records import Term

INDEX_FORMAT = "hilgen-term-index-1"
DEFAULT_WORDS_PER_TERM = 2
DEFAULT_WORD_THRESHOLD = 0.4
# How many candidate terms (best by matched query words) are scored exactly per query.
DEFAULT_MAX_CANDIDATES = 2000
_SIMILAR_CACHE = 50_000  # query words whose similar vocabulary words are remembered


class _Packed:
    """A read-only table of strings packed into one byte buffer plus int64 offsets."""

    __slots__ = ("data", "offsets")

    def __init__(self, data: np.ndarray, offsets: np.ndarray) -> None:
        self.data = data
        self.offsets = offsets

    @classmethod
    def from_arrow(cls, arr: pa.Array | pa.ChunkedArray) -> _Packed:
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks() if arr.num_chunks else pa.array([], pa.large_string())
        arr = arr.cast(pa.large_string())
        if arr.null_count:
            arr = pc.fill_null(arr, "")
        n = len(arr)
        bufs = arr.buffers()
        offsets = np.frombuffer(bufs[1], dtype=np.int64)[arr.offset : arr.offset + n + 1]
        data = (
            np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else np.empty(0, np.uint8)
        )
        lo, hi = (int(offsets[0]), int(offsets[-1])) if n else (0, 0)
        return cls(data[lo:hi].copy(), (offsets - lo).copy())

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> str:
        a, b = int(self.offsets[i]), int(self.offsets[i + 1])
        return bytes(self.data[a:b]).decode("utf-8")

    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    @property
    def nbytes(self) -> int:
        return int(self.data.nbytes + self.offsets.nbytes)


def _unique_counts(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values and their counts (sort-based: ``np.unique`` is far slower here)."""
    if not len(a):
        return a, np.empty(0, dtype=np.int64)
    s = np.sort(a)
    bounds = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    counts = np.diff(np.r_[bounds, len(s)])
    return s[bounds], counts


def _csr(keys: np.ndarray, values: np.ndarray, n_keys: int) -> tuple[np.ndarray, np.ndarray]:
    """Group ``values`` by integer ``keys`` (0..n_keys-1): (pointers, values sorted by key)."""
    packed = np.sort((keys.astype(np.int64) << 32) | values.astype(np.int64))
    if len(packed):
        keep = np.empty(len(packed), dtype=bool)
        keep[0] = True
        np.not_equal(packed[1:], packed[:-1], out=keep[1:])
        packed = packed[keep]
    counts = np.bincount((packed >> 32).astype(np.int64), minlength=n_keys)
    ptr = np.zeros(n_keys + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    return ptr, (packed & 0xFFFFFFFF).astype(np.int32)


def _trigram_codes(packed: _Packed) -> tuple[np.ndarray, np.ndarray]:
    """Padded byte trigrams of every string: (codes as int64 < 2**24, owning string index)."""
    n = len(packed)
    lens = packed.lengths()
    width = lens + 3  # " " + s + " " + "\0" separator
    starts = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(width, out=starts[1:])
    buf = np.zeros(int(starts[-1]), dtype=np.uint8)
    if n:
        # byte j of string i goes to starts[i] + 1 + (j - offsets[i]), and starts[i] equals
        # offsets[i] + 3 * i, so to j + 3 * i + 1
        dest = np.arange(len(packed.data), dtype=np.int64)
        dest += np.repeat(np.arange(1, 3 * n + 1, 3, dtype=np.int64), lens)
        buf[dest] = packed.data
        del dest
        buf[starts[:-1]] = 32
        buf[starts[1:] - 2] = 32
    if len(buf) < 3:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    nonzero = buf != 0
    valid = nonzero[:-2] & nonzero[1:-1] & nonzero[2:]
    del nonzero
    codes = buf[:-2].astype(np.uint32) << 16
    codes |= buf[1:-1].astype(np.uint32) << 8
    codes |= buf[2:]
    owner = np.repeat(np.arange(n, dtype=np.int32), width)[:-2]
    return codes[valid].astype(np.int64), owner[valid].astype(np.int64)


def _query_trigrams(s: str) -> set[int]:
    b = f" {s} ".encode()
    return {(b[i] << 16) | (b[i + 1] << 8) | b[i + 2] for i in range(len(b) - 2)}


def trigram_jaccard(a: str, b: str) -> float:
    """Jaccard similarity of the padded character-trigram sets of two normalised strings."""
    ta, tb = _query_trigrams(a), _query_trigrams(b)
    if not ta or not tb:
        return 0.0
    shared = len(ta & tb)
    return shared / (len(ta) + len(tb) - shared)


@dataclass(frozen=True, slots=True)
class Match:
    """One approximate match: the term's normalised text, its concept and the similarity."""

    text: str
    concept_id: str
    score: float


@dataclass(frozen=True, slots=True)
class BuildInfo:
    terms: int
    words: int
    trigrams: int
    seconds: float
    nbytes: int


class TermIndex:
    """Approximate lookup of normalised terms -> concept ids (see the module docstring)."""

    def __init__(self, arrays: dict[str, np.ndarray], info: BuildInfo) -> None:
        self._a = arrays
        self.info = info
        self._norms = _Packed(arrays["norm_data"], arrays["norm_offsets"])
        self._cids = _Packed(arrays["cid_data"], arrays["cid_offsets"])
        self._words = _Packed(arrays["word_data"], arrays["word_offsets"])
        self._similar: dict[tuple[str, float], np.ndarray] = {}

    # --- building ------------------------------------------------------------------------------
    @classmethod
    def build(
        cls,
        concept_ids: Sequence[str] | pa.Array | pa.ChunkedArray,
        normalized: Sequence[str] | pa.Array | pa.ChunkedArray,
        *,
        words_per_term: int = DEFAULT_WORDS_PER_TERM,
    ) -> TermIndex:
        """Build from two parallel columns: concept id and normalised term text (one row per term;
        duplicate rows are harmless). Use :func:`hilgen_graph.graph.normalize.normalize` for the
        texts (stores keep it precomputed)."""
        if words_per_term < 1:
            raise ExpansionError(f"words_per_term must be at least 1, got {words_per_term}")
        started = time.perf_counter()
        cids = (
            concept_ids
            if isinstance(concept_ids, pa.Array | pa.ChunkedArray)
            else pa.array(list(concept_ids), pa.large_string())
        )
        norms = (
            normalized
            if isinstance(normalized, pa.Array | pa.ChunkedArray)
            else pa.array(list(normalized), pa.large_string())
        )
        if len(cids) != len(norms):
            raise ExpansionError(
                f"term index: {len(cids)} concept ids but {len(norms)} texts; pass parallel columns"
            )
        if isinstance(norms, pa.ChunkedArray):
            norms = norms.combine_chunks() if norms.num_chunks else pa.array([], pa.large_string())
        n_terms = len(norms)
        # words of every term (every list has at least one element: "" splits to [""])
        split = pc.split_pattern(pc.fill_null(norms, ""), " ")
        offs = np.asarray(split.offsets, dtype=np.int64)
        encoded = pc.dictionary_encode(pc.list_flatten(split))
        del split
        word_of = np.asarray(encoded.indices)
        vocab = _Packed.from_arrow(encoded.dictionary)
        del encoded
        n_words = len(vocab)
        freq = np.bincount(word_of, minlength=n_words).astype(np.int64)
        # each term's rarest words: key = frequency, then position (first wins on ties)
        big = np.int64(1) << 62
        mask = (1 << 20) - 1
        key = freq[word_of] << 20
        key[(vocab.lengths() == 0)[word_of]] = big
        pos = np.arange(len(word_of), dtype=np.int64)
        pos -= np.repeat(offs[:-1], np.diff(offs))
        np.minimum(pos, mask, out=pos)
        key |= pos
        del pos
        seg_starts = offs[:-1]
        chosen_word: list[np.ndarray] = []
        chosen_term: list[np.ndarray] = []
        for _ in range(words_per_term if len(word_of) else 0):
            mins = np.minimum.reduceat(key, seg_starts)
            ok = np.flatnonzero(mins < big)
            seg_pos = seg_starts[ok] + (mins[ok] & mask)
            chosen_word.append(word_of[seg_pos].astype(np.int64))
            chosen_term.append(ok)
            key[seg_pos] = big
        del key, word_of
        cw = np.concatenate(chosen_word) if chosen_word else np.empty(0, np.int64)
        ct = np.concatenate(chosen_term) if chosen_term else np.empty(0, np.int64)
        word_ptr, word_terms = _csr(cw, ct, n_words)
        # trigrams of the vocabulary
        codes, owner = _trigram_codes(vocab)
        packed = np.sort((codes << 32) | owner)
        if len(packed):
            keep = np.empty(len(packed), dtype=bool)
            keep[0] = True
            np.not_equal(packed[1:], packed[:-1], out=keep[1:])
            packed = packed[keep]
        gcodes = packed >> 32
        gowner = (packed & 0xFFFFFFFF).astype(np.int32)
        word_ngrams = np.bincount(gowner, minlength=n_words).astype(np.int32)
        if len(gcodes):
            bounds = np.flatnonzero(np.r_[True, gcodes[1:] != gcodes[:-1]])
            distinct = gcodes[bounds].astype(np.int32)
            gram_ptr = np.r_[bounds, len(gcodes)].astype(np.int64)
        else:
            distinct = np.empty(0, np.int32)
            gram_ptr = np.zeros(1, np.int64)
        norm_packed = _Packed.from_arrow(norms)
        cid_packed = _Packed.from_arrow(cids)
        arrays = {
            "norm_data": norm_packed.data,
            "norm_offsets": norm_packed.offsets,
            "cid_data": cid_packed.data,
            "cid_offsets": cid_packed.offsets,
            "word_data": vocab.data,
            "word_offsets": vocab.offsets,
            "word_freq": freq,
            "word_ngrams": word_ngrams,
            "word_ptr": word_ptr,
            "word_terms": word_terms,
            "gram_codes": distinct,
            "gram_ptr": gram_ptr,
            "gram_words": gowner,
        }
        info = BuildInfo(
            terms=n_terms,
            words=n_words,
            trigrams=int(len(distinct)),
            seconds=time.perf_counter() - started,
            nbytes=int(sum(a.nbytes for a in arrays.values())),
        )
        return cls(arrays, info)

    @classmethod
    def from_terms(
        cls, terms: Iterable[Term], *, words_per_term: int = DEFAULT_WORDS_PER_TERM
    ) -> TermIndex:
        """Build from ``Term`` records (a source stream or a store's terms)."""
        cids: list[str] = []
        norms: list[str] = []
        for t in terms:
            cids.append(t.concept_id)
            norms.append(t.normalized or normalize(t.text))
        return cls.build(cids, norms, words_per_term=words_per_term)

    # --- saving --------------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write the index as one ``.npz`` file (atomic: temp file, then rename)."""
        p = Path(path)
        meta = np.array([INDEX_FORMAT, str(self.info.terms), str(self.info.words)])
        arrays: dict[str, Any] = {"meta": meta, **self._a}
        write_with(p, lambda tmp: np.savez(tmp, **arrays), suffix=".npz")
        return p

    @classmethod
    def load(cls, path: str | Path) -> TermIndex:
        started = time.perf_counter()
        try:
            with np.load(path, allow_pickle=False) as z:
                meta = [str(x) for x in z["meta"]]
                arrays = {k: z[k] for k in z.files if k != "meta"}
        except (OSError, KeyError, ValueError) as err:
            raise ExpansionError(
                f"cannot read the term index {path}: {err}; delete it to rebuild"
            ) from err
        if meta[0] != INDEX_FORMAT:
            raise ExpansionError(
                f"term index {path} has format {meta[0]!r}, expected {INDEX_FORMAT!r}; "
                "delete it to rebuild"
            )
        info = BuildInfo(
            terms=int(meta[1]),
            words=int(meta[2]),
            trigrams=len(arrays["gram_codes"]),
            seconds=time.perf_counter() - started,
            nbytes=int(sum(a.nbytes for a in arrays.values())),
        )
        return cls(arrays, info)

    # --- querying ------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._norms)

    def term(self, i: int) -> tuple[str, str]:
        """(normalised text, concept id) of term row ``i``."""
        return self._norms[i], self._cids[i]

    def similar_words(self, word: str, threshold: float = DEFAULT_WORD_THRESHOLD) -> np.ndarray:
        """Vocabulary word ids whose trigram Jaccard with ``word`` is at least ``threshold``."""
        key = (word, threshold)
        cached = self._similar.get(key)
        if cached is None:
            cached = self._similar_words(word, threshold)
            if len(self._similar) >= _SIMILAR_CACHE:
                self._similar.clear()
            self._similar[key] = cached
        return cached

    def _similar_words(self, word: str, threshold: float) -> np.ndarray:
        """Words sharing enough trigrams with ``word``. A word with Jaccard >= t shares at least
        ``need = ceil(t * n)`` of the query's n trigrams (so, for t = 1, it holds the rarest one):
        exact words are found from one posting list, others by counting over all of them."""
        grams = np.array(sorted(_query_trigrams(word)), dtype=np.int64)
        n = len(grams)
        codes, ptr, owners = self._a["gram_codes"], self._a["gram_ptr"], self._a["gram_words"]
        if not len(codes) or not n:
            return np.empty(0, np.int64)
        pos = np.minimum(np.searchsorted(codes, grams), len(codes) - 1)
        present = codes[pos] == grams
        need = max(int(np.ceil(threshold * n - 1e-9)), 1)
        if int(present.sum()) < need:
            return np.empty(0, np.int64)
        pos = pos[present]
        lengths = ptr[pos + 1] - ptr[pos]
        if need == n:  # exact: candidates from the rarest posting, verified on the others
            order = np.argsort(lengths, kind="stable")
            p0 = pos[order[0]]
            cand = owners[ptr[p0] : ptr[p0 + 1]].astype(np.int64)
            for p in pos[order[1:]]:
                posting = owners[ptr[p] : ptr[p + 1]]
                at = np.minimum(np.searchsorted(posting, cand), len(posting) - 1)
                cand = cand[posting[at] == cand]
                if not len(cand):
                    break
            sizes = self._a["word_ngrams"][cand]
            return cand[sizes == n]
        postings = np.concatenate([owners[ptr[p] : ptr[p + 1]] for p in pos])
        counts = np.bincount(postings, minlength=len(self._words))
        cand = np.flatnonzero(counts >= need)
        shared = counts[cand]
        sizes = self._a["word_ngrams"][cand]
        jac = shared / (n + sizes - shared)
        return cand[jac >= threshold].astype(np.int64)

    def _scores(self, cand: np.ndarray, query: str) -> np.ndarray:
        """Trigram Jaccard of ``query`` with each candidate term, vectorised."""
        qgrams = np.array(sorted(_query_trigrams(query)), dtype=np.int64)
        offsets = self._norms.offsets
        starts, ends = offsets[cand], offsets[cand + 1]
        lens = ends - starts
        sub_offsets = np.zeros(len(cand) + 1, dtype=np.int64)
        np.cumsum(lens, out=sub_offsets[1:])
        within = np.arange(int(sub_offsets[-1]), dtype=np.int64) - np.repeat(sub_offsets[:-1], lens)
        data = self._norms.data[np.repeat(starts, lens) + within]
        codes, owner = _trigram_codes(_Packed(data, sub_offsets))
        keys = np.sort((owner << 24) | codes)
        if len(keys):
            first = np.r_[True, keys[1:] != keys[:-1]]
            keys = keys[first]
        owner_u, codes_u = keys >> 24, keys & 0xFFFFFF
        sizes = np.bincount(owner_u, minlength=len(cand))
        pos = np.minimum(np.searchsorted(qgrams, codes_u), len(qgrams) - 1)
        hit = qgrams[pos] == codes_u
        shared = np.bincount(owner_u[hit], minlength=len(cand))
        union = len(qgrams) + sizes - shared
        return np.where(union > 0, shared / np.maximum(union, 1), 0.0)

    def search(
        self,
        text: str,
        *,
        threshold: float = 0.5,
        limit: int = 10,
        word_threshold: float = DEFAULT_WORD_THRESHOLD,
        max_candidates: int = DEFAULT_MAX_CANDIDATES,
    ) -> list[Match]:
        """Terms whose trigram Jaccard with ``normalize(text)`` is at least ``threshold``, best
        first (ties by text, then concept id), at most ``limit`` (one per (text, concept))."""
        query = normalize(text)
        if not query or len(self) == 0:
            return []
        words = list(dict.fromkeys(query.split()))
        ptr, terms = self._a["word_ptr"], self._a["word_terms"]
        groups: list[np.ndarray] = []
        for w in words:
            # a word of the vocabulary stands for itself; only unknown words are matched fuzzily
            similar = self.similar_words(w, 1.0)
            if not len(similar):
                similar = self.similar_words(w, word_threshold)
            if len(similar):
                parts = [terms[ptr[i] : ptr[i + 1]] for i in similar]
                groups.append(_unique_counts(np.concatenate(parts))[0])
        if not groups:
            return []
        cand, hits = _unique_counts(np.concatenate(groups))
        if len(cand) > max_candidates:
            best = np.argsort(-hits, kind="stable")[:max_candidates]
            cand = cand[best]
        scores = self._scores(cand, query)
        keep = scores >= threshold
        scored: dict[tuple[str, str], float] = {}
        for i, score in zip(cand[keep].tolist(), scores[keep].tolist(), strict=True):
            key = (self._norms[i], self._cids[i])
            if score > scored.get(key, -1.0):
                scored[key] = score
        ranked = sorted(scored.items(), key=lambda kv: (-kv[1], kv[0][0], kv[0][1]))
        return [Match(t, c, s) for (t, c), s in ranked[:limit]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "terms": self.info.terms,
            "words": self.info.words,
            "trigrams": self.info.trigrams,
            "build_seconds": round(self.info.seconds, 3),
            "megabytes": round(self.info.nbytes / 2**20, 1),
        }
