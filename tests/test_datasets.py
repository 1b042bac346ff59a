from pathlib import Path

import pytest

from hilgen_graph.datasets import (
    SOURCES,
    SourceKind,
    check_data,
    dataset_path,
    get_source,
    source_status,
)
from hilgen_graph.errors import ConfigError, DataMissingError


def test_registry_covers_the_data_readme() -> None:
    assert {"bc5cdr", "ncbi_disease", "medmentions"} <= {
        s.name for s in SOURCES.values() if s.kind is SourceKind.CORPUS
    }
    assert {"mesh2024", "doid2016", "umls_semantic_network", "umls_rrf_fixture", "umls"} <= {
        s.name for s in SOURCES.values() if s.kind is SourceKind.KNOWLEDGE
    }
    for source in SOURCES.values():
        assert source.licence and source.homepage and source.files
        for f in source.files:
            assert not f.path.startswith("/") and ".." not in f.path
            assert f.url is None or f.url.startswith("https://")
            assert f.sha256 is None or len(f.sha256) == 64
    assert SOURCES["umls"].licensed and not SOURCES["umls"].fetchable


def test_every_shipped_file_is_present_with_its_checksum(data_root: Path) -> None:
    statuses = {s.source.name: s for s in check_data(data_root, verify=True)}
    for name in ("bc5cdr", "ncbi_disease", "medmentions", "mesh2024", "doid2016"):
        assert statuses[name].state == "present", name
        assert statuses[name].corrupt == [], name
    for name in ("umls_semantic_network", "umls_rrf_fixture"):
        assert statuses[name].state == "present" and statuses[name].corrupt == []
    # Everything the README lists with a sha256 prefix matches the registry's full checksum.
    for source in SOURCES.values():
        for f in source.files:
            if (data_root / f.path).is_file() and f.sha256:
                assert [x.sha256_ok for x in statuses[source.name].files if x.path == f.path] == [
                    True
                ]


def test_missing_sources_say_where_to_get_them(tmp_path: Path) -> None:
    statuses = {s.source.name: s for s in check_data(tmp_path)}
    assert all(s.state == "missing" for s in statuses.values())
    assert statuses["bc5cdr"].how_to_get() == "hilgen data fetch bc5cdr"
    assert "licensed" in statuses["umls"].how_to_get()
    assert "nlm.nih.gov" in statuses["mesh2024"].how_to_get()
    d = statuses["bc5cdr"].to_dict()
    assert d["state"] == "missing" and d["download"] == "hilgen data fetch bc5cdr"
    assert len(d["missing"]) == 6


def test_optional_file_does_not_make_a_source_partial(data_root: Path) -> None:
    st = source_status(get_source("medmentions"), data_root)
    assert st.state == "present"
    assert st.missing == ["ner/medmentions/st21pv/corpus_pubtator.txt.gz"]


@pytest.mark.parametrize("name", ["bc5cdr", "ncbi_disease"])
@pytest.mark.parametrize("split", ["train", "dev", "test", "devel"])
@pytest.mark.parametrize("form", ["pubtator", "iob", "conll"])
def test_dataset_path_for_every_split(name: str, split: str, form: str) -> None:
    path = dataset_path(name, split, form)
    assert path.is_file()


def test_dataset_path_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="known: bc5cdr"):
        dataset_path("conll2003", "train")
    with pytest.raises(ConfigError, match="allowed: train, dev, test"):
        dataset_path("bc5cdr", "holdout")
    with pytest.raises(ConfigError, match="allowed: pubtator, iob"):
        dataset_path("bc5cdr", "train", "brat")
    with pytest.raises(DataMissingError, match="hilgen data fetch ncbi_disease"):
        dataset_path("ncbi_disease", "train", root=tmp_path)
    with pytest.raises(DataMissingError, match="hilgen data fetch medmentions"):
        dataset_path("medmentions", "full", root=tmp_path)
    assert dataset_path("ncbi_disease", "dev", "iob", root=tmp_path, must_exist=False) == (
        tmp_path / "ner/ncbi_disease/conll/devel.tsv"
    )
    assert dataset_path("medmentions", "sample").name == "sample_med_mentions_scispacy_fixture.txt"
