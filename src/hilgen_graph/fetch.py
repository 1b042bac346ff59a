"""Download public sources: HTTP(S) with resume (Range requests), sha256 check, atomic rename.

A download goes to ``<dest>.part``; an interrupted one resumes from the bytes already there (the
server must answer ``206 Partial Content``; a ``200`` restarts from zero). Only a file whose
sha256 matches (when the registry knows it) is renamed to its final name.
"""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from hilgen_graph.datasets import Source, get_source, sha256_of
from hilgen_graph.errors import ConfigError, DataMissingError
from hilgen_graph.settings import data_dir

Progress = Callable[[str, int, int | None], None]  # (file, bytes so far, total or None)
CHUNK = 1 << 16
USER_AGENT = "hilgen-graph-fetch/0.1"


class FetchError(DataMissingError):
    """A download failed; ``retryable`` is true for network errors worth trying again."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


def download(
    url: str,
    dest: str | Path,
    *,
    sha256: str | None = None,
    timeout: float = 60.0,
    progress: Progress | None = None,
) -> Path:
    """Download ``url`` to ``dest`` with resume and checksum; return ``dest``.

    Raises ``FetchError`` (a ``DataMissingError``) on HTTP/network failure or checksum mismatch;
    a mismatching file is removed so the next try starts afresh.
    """
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"only http(s) downloads are supported, got {url!r}")
    target = Path(dest)
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    if have:
        request.add_header("Range", f"bytes={have}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 - http(s) only
    except urllib.error.HTTPError as err:
        if err.code == 416 and have:  # nothing left to send: the part file may be complete
            response = None
        else:
            raise FetchError(
                f"download of {url} failed: HTTP {err.code} {err.reason}; check the address "
                "(or the --mirror) and try again",
                retryable=err.code >= 500 or err.code == 429,
            ) from err
    except (urllib.error.URLError, http.client.HTTPException, OSError) as err:
        raise FetchError(
            f"download of {url} failed: {err}; check the network and run the command again "
            f"(it resumes from {have} bytes already in {part})",
            retryable=True,
        ) from err
    if response is not None:
        with response:
            status = response.status
            if status == 206 and have:
                mode, done = "ab", have
            else:  # 200: the server ignored the Range header, start over
                mode, done = "wb", 0
            length = response.headers.get("Content-Length")
            total = done + int(length) if length and length.isdigit() else None
            try:
                with part.open(mode) as fh:
                    while block := response.read(CHUNK):
                        fh.write(block)
                        done += len(block)
                        if progress is not None:
                            progress(target.name, done, total)
            except (urllib.error.URLError, http.client.HTTPException, OSError) as err:
                raise FetchError(
                    f"download of {url} was interrupted after {done} bytes: {err}; run the "
                    "command again to resume",
                    retryable=True,
                ) from err
            if total is not None and done < total:
                raise FetchError(
                    f"download of {url} ended after {done} of {total} bytes; run the command "
                    "again to resume",
                    retryable=True,
                )
    if sha256 is not None:
        got = sha256_of(part)
        if got != sha256:
            part.unlink(missing_ok=True)
            raise FetchError(
                f"{url} has sha256 {got}, expected {sha256}; the file was removed. The upstream "
                "file changed or the download is corrupt: try again, or report the new checksum"
            )
    part.replace(target)
    return target


class FileOutcome(StrEnum):
    PRESENT = "present"  # already there (and matching its checksum when one is known)
    DOWNLOADED = "downloaded"
    NO_URL = "no_url"  # no download address: the source says where to get it


@dataclass(frozen=True, slots=True)
class FetchedFile:
    path: Path
    outcome: FileOutcome
    url: str | None


def fetch_source(
    name: str,
    *,
    root: Path | None = None,
    mirror: str | None = None,
    force: bool = False,
    include_optional: bool = True,
    timeout: float = 60.0,
    progress: Progress | None = None,
) -> list[FetchedFile]:
    """Download the missing files of a registered source into ``root`` (the data directory).

    ``mirror`` replaces each file's address by ``mirror/<path under the data directory>``.
    Licensed sources (UMLS) are refused with where to obtain them. Present files whose checksum
    does not match raise, unless ``force`` downloads them again.
    """
    source: Source = get_source(name)
    if source.licensed:
        raise DataMissingError(
            f"{source.name} needs a personal licence and is never downloaded automatically; "
            f"get it from {source.homepage}"
        )
    base = root or data_dir()
    results: list[FetchedFile] = []
    for f in source.files:
        if f.path in source.optional and not include_optional:
            continue
        dest = base / f.path
        url = f"{mirror.rstrip('/')}/{f.path}" if mirror else f.url
        if dest.is_file() and not force:
            if f.sha256 and sha256_of(dest) != f.sha256:
                raise FetchError(
                    f"{dest} exists but its sha256 differs from the registry's {f.sha256}; "
                    f"move it away or run `hilgen data fetch {source.name} --force`"
                )
            results.append(FetchedFile(dest, FileOutcome.PRESENT, url))
            continue
        if not url:
            results.append(FetchedFile(dest, FileOutcome.NO_URL, None))
            continue
        download(url, dest, sha256=f.sha256, timeout=timeout, progress=progress)
        results.append(FetchedFile(dest, FileOutcome.DOWNLOADED, url))
    return results
