"""Secrets out of text that is printed or saved: URLs with credentials, for errors and files.

One rule for every URL the toolkit echoes (Neo4j URIs in error messages) or records (the LLM
``base_url`` in ``*.meta.json``): the userinfo part (``user:password@``) becomes ``***@``, the
value of every query parameter whose name looks like a secret (``key``, ``token``, ``secret``,
``password``, ``signature``, ``auth``, ``credential``, ``session``) becomes ``***``, and the
fragment is dropped. Scheme, host, port and path stay, so the message still says where.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REDACTED = "***"
_SECRET_PARAM = re.compile(
    r"key|token|secret|passw|pwd|pass$|sig|auth|credential|session|jwt|bearer", re.IGNORECASE
)


def redact_url(url: str) -> str:
    """``url`` without credentials (see the module docstring). Text that is not a URL with a
    scheme and a host (a file path) is returned unchanged; a URL that cannot be parsed but
    holds an ``@`` becomes ``***``."""
    if "://" not in url:
        return url
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return REDACTED if "@" in url else url
    if not parts.scheme or not parts.netloc:
        return REDACTED if "@" in url else url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port is None else f"{host}:{port}"
    if "@" in parts.netloc:
        netloc = f"{REDACTED}@{netloc}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode(
            [(k, REDACTED if _SECRET_PARAM.search(k) else v) for k, v in pairs], safe="*"
        )
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))
