"""The one string normalisation used for term lookup, by every source, store and the linker."""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)


def normalize(text: str) -> str:
    """Lower-case, strip accents, collapse punctuation and whitespace to single spaces.

    ``"Hypertension, Malignant"`` -> ``"hypertension malignant"``.
    """
    if text.isascii():  # fast path, same result: NFKD and casefold are no-ops beyond lower()
        return _NON_WORD.sub(" ", text.lower()).strip()
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", stripped.casefold()).strip()


_ASCII_NON_WORD = r"[^0-9A-Za-z_]+"  # what [^\w]+ matches in ASCII text


def normalize_array(texts: pa.Array) -> pa.Array:
    """:func:`normalize` over a pyarrow string array: vectorised for ASCII text (the same
    result), the Python function for the rest."""
    import pyarrow as pa
    import pyarrow.compute as pc

    lowered = pc.ascii_lower(texts)
    out = pc.utf8_trim(pc.replace_substring_regex(lowered, _ASCII_NON_WORD, " "), " ")
    other = pc.invert(pc.string_is_ascii(texts))
    if not pc.any(other).as_py():
        return out
    rest = [normalize(t) for t in pc.filter(texts, other).to_pylist()]
    return pc.replace_with_mask(out, other, pa.array(rest, pa.string()))
