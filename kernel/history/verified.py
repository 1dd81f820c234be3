"""Which store files were read whole and found sound, so that an unchanged file is not read again.

Reading every block of a store (:func:`tierkit.history.database.verify`) costs about 0.5 s per
100 MB and grows with the history. After a store was read whole, or written by tierkit (which
had read it whole, or trusted it this way, just before), the file's stamp is recorded in a small
file beside it, ``.NAME.verified``, written atomically: its size, modification and change times
(nanoseconds) and inode. The next command that would read the store whole skips the read when
the stamp still matches. Any outside change of the file changes its change time (which no
program can set back, unlike the modification time) and so brings the full read back; so do a
copy or a move of the store (a new inode), a leftover write-ahead log beside it, and a stamp
taken in the same clock tick as the file's last write (a file system with coarse timestamps
could then hide a change made right after it, as git's "racy" entries).
"""

from __future__ import annotations

import json
import os
from contextlib import suppress
from pathlib import Path

Stamp = tuple[int, int, int, int]
"""Size, modification time, change time (both in nanoseconds) and inode of a file."""

_SEEN: dict[str, Stamp] = {}
"""Stamps this process recorded or read, by resolved path (a read-only folder keeps no file)."""


def sidecar(path: Path) -> Path:
    """The file beside the store that holds its stamp: ``.NAME.verified``."""
    return path.with_name(f".{path.name}.verified")


def stamp(path: Path) -> Stamp | None:
    """The file's stamp now, or ``None`` when it cannot be read."""
    try:
        found = path.stat()
    except OSError:
        return None
    return (found.st_size, found.st_mtime_ns, found.st_ctime_ns, found.st_ino)


def is_verified(path: Path) -> bool:
    """Whether the store at ``path`` is unchanged since it was last known sound."""
    now = stamp(path)
    if now is None or Path(f"{path}.wal").exists():
        return False
    key = str(path.resolve())
    if _SEEN.get(key) == now:
        return True
    side = sidecar(path)
    try:
        recorded = json.loads(side.read_text(encoding="utf-8"))
        written = side.stat().st_mtime_ns
    except (OSError, ValueError):
        return False
    if not isinstance(recorded, dict) or recorded.get("stamp") != list(now):
        return False
    if written <= now[1]:  # recorded in the tick of the file's last write: not to be trusted
        return False
    _SEEN[key] = now
    return True


def record(path: Path) -> None:
    """Record that the store at ``path``, as it is now, is sound (read whole, or just written
    by tierkit after such a read). A folder that cannot be written keeps no record: the next
    command then reads the store whole again."""
    now = stamp(path)
    if now is None:
        return
    _SEEN[str(path.resolve())] = now
    side = sidecar(path)
    temporary = side.with_name(f"{side.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(json.dumps({"stamp": list(now)}), encoding="utf-8")
        os.replace(temporary, side)
    except OSError:
        with suppress(OSError):
            temporary.unlink()


def forget(path: Path) -> None:
    """Drop the record of the store at ``path`` (a write to it failed half way)."""
    _SEEN.pop(str(path.resolve()), None)
    with suppress(OSError):
        sidecar(path).unlink()
