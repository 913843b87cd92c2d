"""Download files into the cache: retry with backoff, checksum, never a half-written file.

A file is streamed to a temporary `.part` file beside its target, its checksum verified,
and only then moved into place with os.replace; so whatever sits in the cache is complete.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import platformdirs
from netcanvas.backend.data.types import Cancel, DatasetError, DownloadCancelled, Progress

RETRIES = 3  # attempts per mirror before giving up
BACKOFF_S = 1.0  # first wait between attempts, doubled each time
TIMEOUT_S = 30.0
CHUNK = 1 << 16


class ChecksumError(DatasetError):
    """A downloaded or hand-placed file does not match its known checksum."""


def data_dir() -> Path:
    """Cache root: $NETCANVAS_DATA_DIR, else the user cache folder of 'netcanvas'."""
    env = os.environ.get("NETCANVAS_DATA_DIR")
    return Path(env) if env else Path(platformdirs.user_cache_dir("netcanvas")) / "datasets"


def file_digest(path: Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def checksum_algorithm(expected: str) -> str:
    """32 hex digits are an MD5, 64 a SHA-256."""
    return "md5" if len(expected) == 32 else "sha256"


def verify(path: Path, expected: str, name: str | None = None) -> None:
    """Raise ChecksumError naming the file (`name`, default the path's) and its folder."""
    got = file_digest(path, checksum_algorithm(expected))
    if got != expected.lower():
        raise ChecksumError(f"{name or path.name} is corrupt: {checksum_algorithm(expected)} "
                            f"{got}, expected {expected} (in {path.parent})")


def remove_stale_parts(folder: Path, max_age_s: float = 3600.0) -> None:
    """Delete `.part` files a killed process left behind (young ones may be in use)."""
    now = time.time()
    for part in folder.glob("*.part"):
        try:
            if now - part.stat().st_mtime > max_age_s:
                part.unlink()
        except OSError:
            pass


def _stream(url: str, part: Path, name: str, progress: Progress | None,
            cancel: Cancel | None) -> None:
    with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response, part.open("wb") as out:
        total = int(response.headers.get("Content-Length") or 0)
        done = 0
        while True:
            if cancel is not None and cancel():
                raise DownloadCancelled(f"download of {name} cancelled")
            chunk = response.read(CHUNK)
            if not chunk:
                break
            out.write(chunk)
            done += len(chunk)
            if progress is not None:
                progress(done, total, f"Downloading {name}")
    if total and done < total:
        raise ConnectionError(f"connection closed after {done} of {total} bytes")


def _wait(seconds: float, cancel: Cancel | None) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if cancel is not None and cancel():
            raise DownloadCancelled("download cancelled")
        time.sleep(min(0.05, max(0.0, end - time.monotonic())))


def fetch(urls: list[str], target: Path, expected: str, progress: Progress | None = None,
          cancel: Cancel | None = None) -> Path:
    """Download the first reachable of `urls` (mirrors of one file) to `target`.

    Transient failures (refused, reset, truncated, 5xx) are retried with exponential
    backoff; a 4xx moves on to the next mirror; a checksum mismatch stops at once.
    Raises DatasetError (ChecksumError, DownloadCancelled) naming the last cause.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_parts(target.parent)
    last: Exception | None = None
    for url in urls:
        for attempt in range(RETRIES):
            if attempt:
                _wait(BACKOFF_S * 2 ** (attempt - 1), cancel)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=target.name + ".",
                                       suffix=".part")
            os.close(fd)
            part = Path(tmp)
            try:
                _stream(url, part, target.name, progress, cancel)
                verify(part, expected, f"{target.name} downloaded from {url}")
                os.replace(part, target)
                return target
            except urllib.error.HTTPError as e:
                last = e
                if e.code < 500:
                    break
            except (urllib.error.URLError, OSError, http.client.HTTPException) as e:
                last = e
            finally:
                part.unlink(missing_ok=True)
    raise DatasetError(f"could not download {target.name}: {_reason(last)}")


def _reason(error: Exception | None) -> str:
    if isinstance(error, urllib.error.URLError) and not isinstance(error, urllib.error.HTTPError):
        return str(error.reason)
    return str(error)
