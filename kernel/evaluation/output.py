"""The results file: checked before a run starts, written atomically before the run is stored.

``check_output`` runs before any evaluation, so a wrong ``--out`` (a folder, an unknown
extension, a folder that cannot be written) costs nothing. ``write_results`` writes to
``.NAME.PID.partial`` beside the target, flushes it to the disk and renames it over the
target; the evaluation commits the run to the history store only once the file is in place
(the flush runs while the run is saved: :class:`PendingWrite`), so a failed write (a full disk,
a removed folder) never leaves a stored run without its output.
Leftover ``.NAME.PID.partial`` files of processes that no longer run are removed.
"""

from __future__ import annotations

import errno
import os
import time
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from tierkit.contract import Writer
from tierkit.errors import TierkitError, UsageError
from tierkit.registry import Registry, get_registry
from tierkit.special_files import refuse_special_file

STALE_AFTER = 24 * 3600
"""Where a process id cannot be asked about (Windows), a partial file this old is a leftover."""


class OutputError(TierkitError):
    """The results file cannot be written where it was asked for."""


def writer_for(target: Path, registry: Registry | None = None) -> Writer:
    """The writer of ``target``'s extension, or a usage error naming the path."""
    registry = registry or get_registry()
    suffix = target.suffix.lower()
    writer = next((w for w in registry.writers.values() if suffix in w.extensions), None)
    if writer is None:
        known = ", ".join(e for w in registry.writers.values() for e in w.extensions)
        found = f"'{target.suffix}'" if target.suffix else "(no extension)"
        raise UsageError(f"{target}: unknown output format {found}; use one of {known}")
    return writer


def check_output(path: str | Path, registry: Registry | None = None) -> Path:
    """Check that the results can be written to ``path``, before anything is evaluated.

    A folder, an unknown extension, or a folder that cannot be created or written to is a
    usage error naming the path. A missing folder is created (as writing would).
    """
    target = Path(path)
    refuse_special_file(target)
    if target.is_dir():
        raise UsageError(
            f"{target}: is a folder; --out names the results file, e.g. {target / 'results.csv'}"
        )
    writer_for(target, registry)
    folder = target.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise UsageError(f"{target}: {_first_file(folder)} is a file, not a folder") from None
    except OSError as exc:
        raise OutputError(f"{target}: cannot create the folder {folder}: {_why(exc)}") from None
    remove_leftovers(target)
    probe = _partial(target)
    try:
        probe.touch()
    except OSError as exc:
        raise OutputError(f"{target}: cannot write into the folder {folder}: {_why(exc)}") from None
    probe.unlink(missing_ok=True)
    return target


def write_results(frame: pl.DataFrame, path: str | Path, registry: Registry | None = None) -> None:
    """Write results atomically: to a temporary file beside ``path``, then renamed over it.

    The file is flushed to the disk before the rename, so the target is either the old file or
    the complete new one. A failure of the disk or the folder is an :class:`OutputError`
    naming the path; the temporary file is removed in every case.
    """
    start_write(frame, path, registry).finish()


@dataclass(frozen=True)
class PendingWrite:
    """Results written to their temporary file, not yet flushed to the disk nor renamed."""

    temporary: Path
    target: Path

    def finish(self) -> None:
        """Flush the file to the disk and rename it over the target (a full disk shows here,
        not after the rename); the temporary file is gone afterwards in every case.

        The flush is mostly waiting for the disk: the evaluation runs it beside the saving of
        the run (kernel/evaluation/api.py), which commits only once it has succeeded."""
        try:
            _flush(self.temporary)
            os.replace(self.temporary, self.target)
        except OSError as exc:
            raise OutputError(f"{self.target}: cannot write the results: {_why(exc)}") from None
        finally:
            self.temporary.unlink(missing_ok=True)


def start_write(
    frame: pl.DataFrame, path: str | Path, registry: Registry | None = None
) -> PendingWrite:
    """The first half of :func:`write_results`: the results in their temporary file."""
    target = Path(path)
    refuse_special_file(target)
    writer = writer_for(target, registry)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{target}: cannot create the folder: {_why(exc)}") from None
    remove_leftovers(target)
    temporary = _partial(target)
    try:
        writer.write(frame, str(temporary))
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise OutputError(f"{target}: cannot write the results: {_why(exc)}") from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return PendingWrite(temporary, target)


def remove_leftovers(target: Path) -> list[Path]:
    """Remove ``.NAME.PID.partial`` files beside ``target`` whose process no longer runs."""
    removed = []
    prefix = f".{target.name}."
    try:
        found = [p for p in target.parent.iterdir() if p.name.startswith(prefix)]
    except OSError:
        return []
    for path in found:
        pid = path.name[len(prefix) :].removesuffix(".partial")
        if not path.name.endswith(".partial") or not pid.isdigit() or int(pid) == os.getpid():
            continue
        if _running(int(pid), path):
            continue
        try:
            path.unlink()
        except OSError:
            continue
        removed.append(path)
    return removed


def _partial(target: Path) -> Path:
    return target.with_name(f".{target.name}.{os.getpid()}.partial")


def _running(pid: int, path: Path) -> bool:
    """Whether process ``pid`` may still be writing ``path``."""
    if os.name == "nt":  # os.kill(pid, 0) would interrupt the process there
        try:
            return time.time() - path.stat().st_mtime < STALE_AFTER
        except OSError:
            return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process
        return True
    return True


def _flush(path: Path) -> None:
    """Force the written file to the disk (a full disk shows here, not after the rename)."""
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def _why(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "the disk is full (no space left on the device)"
    if exc.errno == errno.EDQUOT:
        return "the disk quota is exceeded"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.EROFS:
        return "the file system is read-only"
    return exc.strerror or str(exc)


def _first_file(folder: Path) -> Path:
    """The first part of ``folder`` that exists as a file (why it cannot be created)."""
    for part in reversed([folder, *folder.parents]):
        if part.exists() and not part.is_dir():
            return part
    return folder
