"""Credentials out of URLs that are printed or saved (hilgen_graph/redact.py)."""

from __future__ import annotations

import pytest

from hilgen_graph.redact import redact_url


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("bolt://neo4j:s3cret@db.example:7687", "bolt://***@db.example:7687"),
        ("neo4j+s://user@x.databases.neo4j.io", "neo4j+s://***@x.databases.neo4j.io"),
        (
            "https://u:p@h.example/v1?api-key=abc&x=1#frag",
            "https://***@h.example/v1?api-key=***&x=1",
        ),
        (
            "https://h.example/v1?token=t&access_token=a&sig=s",
            "https://h.example/v1?token=***&access_token=***&sig=***",
        ),
        ("http://[::1]:8080/v1?password=pw", "http://[::1]:8080/v1?password=***"),
        ("http://127.0.0.1:8080/v1", "http://127.0.0.1:8080/v1"),
        ("bolt://localhost:7687", "bolt://localhost:7687"),
        ("runs/store@v2/kg", "runs/store@v2/kg"),  # a path, not a URL: unchanged
        ("bolt://:pw@h:99999", "***"),  # cannot be parsed, holds an @: nothing of it is shown
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown
