from hilgen_graph.errors import CorpusFormatError, GraphError, HilgenError


def test_corpus_format_error_names_file_line_text_and_fix() -> None:
    err = CorpusFormatError("bad offsets", path="a.txt", line=3, text="xyz", fix="repair it")
    assert isinstance(err, HilgenError)
    msg = str(err)
    assert "a.txt:3" in msg and "'xyz'" in msg and "repair it" in msg


def test_graph_error_without_line() -> None:
    assert str(GraphError("missing MRCONSO.RRF", path="/u")) == "/u: missing MRCONSO.RRF"
