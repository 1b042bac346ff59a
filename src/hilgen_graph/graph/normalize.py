"""The one string normalisation used for term lookup, by every source, store and the linker."""

from __future__ import annotations

import re
import unicodedata

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
