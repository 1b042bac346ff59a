"""Registry of every corpus and knowledge source the toolkit knows, and where its files live.

Each source lists its files relative to the data directory (``settings.data_dir()``), the address
each file is downloaded from (pinned to a commit where the upstream is a git repository, so the
bytes and the sha256 are stable), its licence and format. Files that were converted locally or
that need a licence (UMLS) have no download address; the source says where to get them instead.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType

from hilgen_graph.errors import ConfigError, DataMissingError
from hilgen_graph.settings import data_dir


class SourceKind(StrEnum):
    CORPUS = "corpus"
    KNOWLEDGE = "knowledge"


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One file of a source: path under the data directory, download address and checksum."""

    path: str
    url: str | None = None
    sha256: str | None = None
    size: int | None = None


@dataclass(frozen=True, slots=True)
class Source:
    """A corpus or knowledge source."""

    name: str
    kind: SourceKind
    title: str
    licence: str
    format: str
    homepage: str  # where a person downloads it (for missing files without a URL)
    files: tuple[SourceFile, ...]
    licensed: bool = False  # needs a personal licence: never fetched automatically
    optional: tuple[str, ...] = ()  # paths not needed for the source to count as present
    note: str = ""
    splits: Mapping[tuple[str, str], str] = field(default_factory=dict)

    @property
    def fetchable(self) -> bool:
        return not self.licensed and any(f.url for f in self.files)


_GH = "https://raw.githubusercontent.com"
_BC5_PT = (
    f"{_GH}/cambridgeltl/bmip-2018/0b66ee9245653b622cb6c36ba13d018b21b5b80e/BC5-CDR/original-data"
)
_BC5_IOB = (
    f"{_GH}/cambridgeltl/MTL-Bioinformatics-2016/df0df02fae6dbb87d88ffcf323b9096528f06f84"
    "/data/BC5CDR-IOB"
)
_NCBI = f"{_GH}/spyysalo/ncbi-disease/5a266c6fc76fb2b5184cfa397ff0a5ecdb133aec"
_MM = f"{_GH}/chanzuckerberg/MedMentions/14578232bb6cdf290fea9dd7fee60a3e01ee6fd5"
_SCISPACY = f"{_GH}/allenai/scispacy/eacccd4ef3e7ef13d4aa35700e718bd4318ded17/tests/fixtures"
_DOID = (
    f"{_GH}/DiseaseOntology/HumanDiseaseOntology/ebd679f95c7961188d7c7e010d830a4306aa9341"
    "/src/ontology/doid.obo"
)
_STY = (
    f"{_GH}/biopragmatics/obo-db-ingest/5613ff7e7e5d40905639a4092d0a4e104929710d/export/sty/2025AA"
)

SPLITS = ("train", "dev", "test")
SPLIT_ALIASES = {"devel": "dev", "development": "dev", "validation": "dev", "training": "train"}
FORMS = ("pubtator", "iob")
FORM_ALIASES = {"conll": "iob", "bio": "iob", "original": "pubtator"}

_SOURCES: tuple[Source, ...] = (
    Source(
        name="bc5cdr",
        kind=SourceKind.CORPUS,
        title="BioCreative V CDR (Chemical, Disease), PubTator and IOB",
        licence="Public Domain Mark 1.0 (NLM corpus); IOB repackaging CC BY 4.0",
        format="pubtator + iob",
        homepage="https://biocreative.bioinformatics.udel.edu/tasks/biocreative-v/track-3-cdr/",
        files=(
            SourceFile(
                "ner/bc5cdr/pubtator/CDR_TrainingSet.PubTator.txt",
                f"{_BC5_PT}/CDR_TrainingSet.PubTator.txt",
                "7afcec134e3d4871e74b0398d92850d3c9ac94c0bdc780003f2d60184c012bd8",
                1129998,
            ),
            SourceFile(
                "ner/bc5cdr/pubtator/CDR_DevelopmentSet.PubTator.txt",
                f"{_BC5_PT}/CDR_DevelopmentSet.PubTator.txt",
                "9e18d8e700168887a7919e62f67ac2ce2357e3f409a48ee992906abdd80fe3e5",
                1127990,
            ),
            SourceFile(
                "ner/bc5cdr/pubtator/CDR_TestSet.PubTator.txt",
                f"{_BC5_PT}/CDR_TestSet.PubTator.txt",
                "a3c48d5f35bdfce20c2371778abedc9fd24d1da092207072e5181ad53c8d0e2f",
                1168687,
            ),
            SourceFile(
                "ner/bc5cdr/iob/train.tsv",
                f"{_BC5_IOB}/train.tsv",
                "b731361c0ed73afd04cc5fdad39afcdfd8f325d6e46c282339185a91d1af4c14",
                1039940,
            ),
            SourceFile(
                "ner/bc5cdr/iob/devel.tsv",
                f"{_BC5_IOB}/devel.tsv",
                "b909de65c4f7e3c23bb09ad52d654cdc92e96db941abe1a5dcf6f6010c03cff5",
                1031781,
            ),
            SourceFile(
                "ner/bc5cdr/iob/test.tsv",
                f"{_BC5_IOB}/test.tsv",
                "e41a2843a5fff0cd8d1a88cb147968d61ae29336ca70cddc3d7fb8ff21dfa1e8",
                1080717,
            ),
        ),
        splits=MappingProxyType(
            {
                ("train", "pubtator"): "ner/bc5cdr/pubtator/CDR_TrainingSet.PubTator.txt",
                ("dev", "pubtator"): "ner/bc5cdr/pubtator/CDR_DevelopmentSet.PubTator.txt",
                ("test", "pubtator"): "ner/bc5cdr/pubtator/CDR_TestSet.PubTator.txt",
                ("train", "iob"): "ner/bc5cdr/iob/train.tsv",
                ("dev", "iob"): "ner/bc5cdr/iob/devel.tsv",
                ("test", "iob"): "ner/bc5cdr/iob/test.tsv",
            }
        ),
    ),
    Source(
        name="ncbi_disease",
        kind=SourceKind.CORPUS,
        title="NCBI-disease (4 fine disease types; single-type IOB)",
        licence="public domain (US Government work, NLM)",
        format="pubtator + iob",
        homepage="https://www.ncbi.nlm.nih.gov/CBBresearch/Dogan/DISEASE/",
        files=(
            SourceFile(
                "ner/ncbi_disease/original/NCBItrainset_corpus.txt",
                f"{_NCBI}/original-data/train/NCBItrainset_corpus.txt",
                "f311381b28a6d0f641f57f4a963bb83619c2bdec5cd9caabb1381f894d5db817",
                1045967,
            ),
            SourceFile(
                "ner/ncbi_disease/original/NCBIdevelopset_corpus.txt",
                f"{_NCBI}/original-data/devel/NCBIdevelopset_corpus.txt",
                "02db559974624ae9cbe6cd95d64d953e6926bb63afb6b25b63e53bd8b41a4b55",
                178373,
            ),
            SourceFile(
                "ner/ncbi_disease/original/NCBItestset_corpus.txt",
                f"{_NCBI}/original-data/test/NCBItestset_corpus.txt",
                "61c8050bf6979ef7b943ec1158dfc03b651ea3367d4c37356f9de4841e85c9a3",
                189219,
            ),
            SourceFile(
                "ner/ncbi_disease/conll/train.tsv",
                f"{_NCBI}/conll/train.tsv",
                "5f87b0de649eccff21e6d6e49e304aace808056ecae55225ea31602192517be9",
                1140476,
            ),
            SourceFile(
                "ner/ncbi_disease/conll/devel.tsv",
                f"{_NCBI}/conll/devel.tsv",
                "b4e1e7efcc2a35047bf2f3d281648357470e674f555d4a26a0049ac37d59cc61",
                200352,
            ),
            SourceFile(
                "ner/ncbi_disease/conll/test.tsv",
                f"{_NCBI}/conll/test.tsv",
                "8f088ce45dc4746592188f9e69de3d89d87f3bb8f0ed8c4a287d018123fa148d",
                205664,
            ),
        ),
        splits=MappingProxyType(
            {
                ("train", "pubtator"): "ner/ncbi_disease/original/NCBItrainset_corpus.txt",
                ("dev", "pubtator"): "ner/ncbi_disease/original/NCBIdevelopset_corpus.txt",
                ("test", "pubtator"): "ner/ncbi_disease/original/NCBItestset_corpus.txt",
                ("train", "iob"): "ner/ncbi_disease/conll/train.tsv",
                ("dev", "iob"): "ner/ncbi_disease/conll/devel.tsv",
                ("test", "iob"): "ner/ncbi_disease/conll/test.tsv",
            }
        ),
    ),
    Source(
        name="medmentions",
        kind=SourceKind.CORPUS,
        title="MedMentions ST21pv (UMLS CUIs + semantic types), PubTator",
        licence="CC0 1.0 (sample fixture: scispacy, Apache-2.0)",
        format="pubtator (gzip)",
        homepage="https://github.com/chanzuckerberg/MedMentions",
        files=(
            SourceFile(
                "ner/medmentions/st21pv/corpus_pubtator.txt.gz",
                "https://github.com/chanzuckerberg/MedMentions/raw/master/st21pv/data/"
                "corpus_pubtator.txt.gz",
                None,  # not pinned upstream: no checksum known
            ),
            SourceFile(
                "ner/medmentions/corpus_pubtator_pmids_trng.txt",
                f"{_MM}/full/data/corpus_pubtator_pmids_trng.txt",
                "ab037fc5606588b4294fa1ead987a66652fe8f3c81e7832e6a02d0c1cdb1c7e6",
                23715,
            ),
            SourceFile(
                "ner/medmentions/corpus_pubtator_pmids_dev.txt",
                f"{_MM}/full/data/corpus_pubtator_pmids_dev.txt",
                "d03508c74df795000599509b997b7280c0ff5bc53b064547e98b29be8b616abd",
                7902,
            ),
            SourceFile(
                "ner/medmentions/corpus_pubtator_pmids_test.txt",
                f"{_MM}/full/data/corpus_pubtator_pmids_test.txt",
                "fece5bcb8c61edf8de73884980b80daf274132ef6d69f0d195c0114acbfdd4ab",
                7911,
            ),
            SourceFile(
                "ner/medmentions/sample_med_mentions_scispacy_fixture.txt",
                f"{_SCISPACY}/med_mentions.txt",
                "b3728453e239e750d34b4ee2ae47cde1e37c5662e2e5745ef9a77f8978bc6d1c",
                10430,
            ),
        ),
        optional=("ner/medmentions/st21pv/corpus_pubtator.txt.gz",),
        note="the full corpus (about 7 MB) is optional; a 3-document sample serves the tests",
        splits=MappingProxyType(
            {
                ("full", "pubtator"): "ner/medmentions/st21pv/corpus_pubtator.txt.gz",
                ("sample", "pubtator"): "ner/medmentions/sample_med_mentions_scispacy_fixture.txt",
            }
        ),
    ),
    Source(
        name="mesh2024",
        kind=SourceKind.KNOWLEDGE,
        title="MeSH 2024 descriptors: entry terms, tree numbers, pharmacological actions",
        licence="NLM MeSH terms and conditions (free; acknowledge NLM and the version)",
        format="tsv",
        homepage=(
            "https://www.nlm.nih.gov/databases/download/mesh.html (desc2024.xml); the TSVs are "
            "converted with pyreadr from github.com/jaytimm/mesh-resources @ c72a6a5 data/*.rds"
        ),
        files=(
            SourceFile(
                "kb/mesh2024/mesh2024_descriptor_terms.tsv",
                None,
                "9888b8cf69562c47e01854eca9d6b9a2667f835b25990446888098df3385b289",
                21020306,
            ),
            SourceFile(
                "kb/mesh2024/mesh2024_tree_numbers.tsv",
                None,
                "75ce3f23e80469040d3d98c921d8eff7198117f5200b2b77f7ede31506c7baa8",
                8132490,
            ),
            SourceFile(
                "kb/mesh2024/mesh2024_pharm_actions.tsv",
                None,
                "14d4b700c588b7db2e129ebd73f876e911fde7a3cb32c0d74cb12dfad91cd94a",
                902558,
            ),
        ),
        note="converted locally from R data files: no download address gives these bytes",
    ),
    Source(
        name="doid2016",
        kind=SourceKind.KNOWLEDGE,
        title="Human Disease Ontology 2016-09-01 (UMLS CUI, SNOMEDCT_US and MeSH xrefs)",
        licence="CC BY 3.0",
        format="obo",
        homepage="https://github.com/DiseaseOntology/HumanDiseaseOntology",
        files=(
            SourceFile(
                "kb/doid2016/doid_2016-09-01.obo",
                _DOID,
                "db06331f233d6cc95c2b3e05b855f3417d7adf1d31b34cb3534da86c2f82ee3f",
                4080788,
            ),
        ),
    ),
    Source(
        name="umls_semantic_network",
        kind=SourceKind.KNOWLEDGE,
        title="UMLS Semantic Network 2025AA: 127 semantic types and their groups",
        licence="freely distributed by NLM (no Metathesaurus licence needed)",
        format="tsv + obo + json",
        homepage="https://lhncbc.nlm.nih.gov/semanticnetwork/",
        files=(
            SourceFile(
                "kb/umls_semantic_network/sty_2025AA.tsv",
                f"{_STY}/sty.tsv",
                "b8c174524a554b6ab63c07b7887c6734f45a5a2ba628144768dd73305c3260b5",
                5240,
            ),
            SourceFile(
                "kb/umls_semantic_network/sty_2025AA.obo",
                f"{_STY}/sty.obo",
                "a50c557c2241d65cf9ede2505cf377937da320d5905dda298b151067c303be2c",
                9262,
            ),
            SourceFile(
                "kb/umls_semantic_network/sty_2025AA.json",
                f"{_STY}/sty.json",
                "417539ce67f430a7d0868c48d7900debfa9a83694285e7707199fec6a02c7f83",
                41449,
            ),
            SourceFile(
                "kb/umls_semantic_network/sty_2025AA.synonyms.tsv",
                f"{_STY}/sty.synonyms.tsv",
                "a016aa1685d0da73ca4f0240afaca999cc50e465446d2a63a3105ee085bfb2fe",
                8697,
            ),
        ),
    ),
    Source(
        name="umls_rrf_fixture",
        kind=SourceKind.KNOWLEDGE,
        title="A few real UMLS rows in RRF layout (parser fixture)",
        licence="Apache-2.0 (scispacy test fixture)",
        format="rrf",
        homepage="https://github.com/allenai/scispacy",
        files=tuple(
            SourceFile(f"kb/umls_rrf_fixture/{name}", f"{_SCISPACY}/{up}", sha, size)
            for name, up, sha, size in (
                (
                    "MRCONSO.RRF",
                    "umls_META/MRCONSO.RRF",
                    "c1e403958c092cbbda29b051e841cf03b9c399918c0fef95f360fa47f5db4594",
                    346,
                ),
                (
                    "MRSTY.RRF",
                    "umls_META/MRSTY.RRF",
                    "80dd90c6b8b661871722b4eeaf728c0f7e60bd82a84ae043b98c9eff4f3a3aff",
                    197,
                ),
                (
                    "MRDEF.RRF",
                    "umls_META/MRDEF.RRF",
                    "f79f2f1df380143d340c94d4a8ef8146dd7c1cda58172adc1aef9d21214afa96",
                    128,
                ),
                (
                    "MRFILES.RRF",
                    "umls_META/MRFILES.RRF",
                    "3689e09d8d72d20c6d93c68fbe82409a86b30072016b472330dea17cd05b5bed",
                    4066,
                ),
                (
                    "test_umls_tree.tsv",
                    "test_umls_tree.tsv",
                    "0e820d51be4025560a6c904d4d538f64461deed9d575915775bb5675b5bcceb7",
                    161,
                ),
            )
        ),
    ),
    Source(
        name="umls",
        kind=SourceKind.KNOWLEDGE,
        title="UMLS Metathesaurus release (MRCONSO, MRSTY, MRREL, MRHIER)",
        licence="UMLS Metathesaurus License (personal UTS account; never shipped or exported)",
        format="rrf",
        homepage=(
            "https://www.nlm.nih.gov/research/umls/licensedcontent/umlsknowledgesources.html "
            "(sign in with a UTS account, unpack the release's META folder into <data>/umls/META)"
        ),
        files=tuple(
            SourceFile(f"umls/META/{n}")
            for n in ("MRCONSO.RRF", "MRSTY.RRF", "MRREL.RRF", "MRHIER.RRF", "MRFILES.RRF")
        ),
        licensed=True,
        optional=("umls/META/MRHIER.RRF",),
        note="licensed: the toolkit reads your local release; the free stand-ins cover the tests",
    ),
)

SOURCES: Mapping[str, Source] = MappingProxyType({s.name: s for s in _SOURCES})


def get_source(name: str) -> Source:
    """The registered source called ``name`` (``ConfigError`` listing the known ones if not)."""
    key = name.strip().lower().replace("-", "_")
    if key not in SOURCES:
        raise ConfigError(f"unknown data source {name!r}; known: {', '.join(SOURCES)}")
    return SOURCES[key]


def _norm(value: str, allowed: tuple[str, ...], aliases: Mapping[str, str], what: str) -> str:
    key = aliases.get(value.lower(), value.lower())
    if key not in allowed:
        raise ConfigError(f"unknown {what} {value!r}; allowed: {', '.join(allowed)}")
    return key


def dataset_path(
    name: str,
    split: str,
    form: str = "pubtator",
    *,
    root: Path | None = None,
    must_exist: bool = True,
) -> Path:
    """Path of a known split, e.g. ``dataset_path("ncbi_disease", "train", "iob")``.

    ``split`` is train/dev/test (aliases devel, validation) or, for MedMentions, full/sample;
    ``form`` is pubtator or iob (alias conll). A missing file raises ``DataMissingError`` saying
    where to get it, unless ``must_exist=False``.
    """
    source = get_source(name)
    known_splits = tuple(dict.fromkeys(s for s, _ in source.splits))
    if not known_splits:
        raise ConfigError(f"{source.name} is not a corpus with splits")
    sp = _norm(split, known_splits, SPLIT_ALIASES, f"split of {source.name}")
    known_forms = tuple(dict.fromkeys(f for s, f in source.splits if s == sp))
    fm = _norm(form, known_forms, FORM_ALIASES, f"form of {source.name} {sp}")
    path = (root or data_dir()) / source.splits[(sp, fm)]
    if must_exist and not path.is_file():
        raise DataMissingError(
            f"{source.name} {sp} ({fm}) is missing: {path}. "
            + _where_to_get(source, source.splits[(sp, fm)])
        )
    return path


def _where_to_get(source: Source, rel: str) -> str:
    entry = next((f for f in source.files if f.path == rel), None)
    if source.licensed:
        return f"It needs a licence: {source.homepage}"
    if entry is not None and entry.url:
        return f"Run `hilgen data fetch {source.name}` (downloads {entry.url})"
    return f"Get it from {source.homepage}"


@dataclass(frozen=True, slots=True)
class FileStatus:
    path: str
    present: bool
    optional: bool
    sha256_ok: bool | None = None  # None: not verified or no checksum known
    url: str | None = None


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """Whether a source's files are in the data directory, and where to get missing ones."""

    source: Source
    root: Path
    files: tuple[FileStatus, ...]

    @property
    def state(self) -> str:
        """``present``, ``partial`` (some needed files missing) or ``missing``."""
        needed = [f for f in self.files if not f.optional]
        have = [f for f in needed if f.present]
        if len(have) == len(needed):
            return "present"
        return "missing" if not have else "partial"

    @property
    def missing(self) -> list[str]:
        return [f.path for f in self.files if not f.present]

    @property
    def corrupt(self) -> list[str]:
        return [f.path for f in self.files if f.sha256_ok is False]

    def how_to_get(self) -> str:
        if self.source.licensed:
            return f"licensed: {self.source.homepage}"
        if self.source.fetchable and any(
            f.url for f in self.source.files if f.path in self.missing
        ):
            return f"hilgen data fetch {self.source.name}"
        return self.source.homepage

    def to_dict(self) -> dict[str, object]:
        s = self.source
        return {
            "name": s.name,
            "kind": s.kind.value,
            "title": s.title,
            "state": self.state,
            "licence": s.licence,
            "licensed": s.licensed,
            "format": s.format,
            "fetchable": s.fetchable,
            "missing": self.missing,
            "corrupt": self.corrupt,
            "download": None if self.state == "present" and not self.missing else self.how_to_get(),
            "homepage": s.homepage,
            "note": s.note,
            "files": [
                {
                    "path": f.path,
                    "present": f.present,
                    "optional": f.optional,
                    "sha256_ok": f.sha256_ok,
                    "url": f.url,
                }
                for f in self.files
            ],
        }


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def source_status(
    source: Source, root: Path | None = None, *, verify: bool = False
) -> SourceStatus:
    """Which files of ``source`` exist under ``root`` (default: the data directory)."""
    base = root or data_dir()
    files = []
    for f in source.files:
        p = base / f.path
        present = p.is_file()
        ok: bool | None = None
        if verify and present and f.sha256:
            ok = sha256_of(p) == f.sha256
        files.append(FileStatus(f.path, present, f.path in source.optional, ok, f.url))
    return SourceStatus(source, base, tuple(files))


def check_data(root: Path | None = None, *, verify: bool = False) -> list[SourceStatus]:
    """The status of every registered source (``verify`` also checks sha256 of present files)."""
    return [source_status(s, root, verify=verify) for s in SOURCES.values()]
