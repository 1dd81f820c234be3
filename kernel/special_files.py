"""Never replace a device, a pipe or a socket with a regular file.

Every output of tierkit is written atomically: to a temporary file, then renamed over the
target. Renamed over ``/dev/null`` or ``/dev/full`` (as root) that would replace the device
itself, and a write to a full disk would look like a success. Such a target is refused before
anything is written.
"""

from __future__ import annotations

import stat
from pathlib import Path

from tierkit.errors import UsageError


def refuse_special_file(target: Path) -> None:
    """A usage error naming ``target`` when it exists and is not a regular file or a folder."""
    try:
        mode = target.stat().st_mode
    except OSError:
        return  # missing (or unreachable: writing says why)
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise UsageError(
            f"{target}: is a device, pipe or socket, not a file; tierkit writes its output to a"
            " file (atomically), so give a file name"
        )


def refuse_output_target(
    target: Path, source: Path | None = None, kinds: tuple[str, ...] = (), writes: str = ""
) -> None:
    """A usage error naming ``target`` when a file cannot or must not be written there: a
    device, a folder, a path under a file, the command's own input ``source``, or a name not
    ending in one of ``kinds`` (``-o results.csv`` would replace the results with what the
    command ``writes``, "a report, an HTML page")."""
    refuse_special_file(target)
    if target.is_dir():
        raise UsageError(f"{target}: is a folder; --out names the file to write")
    for part in reversed(target.parents):
        if part.exists() and not part.is_dir():
            raise UsageError(f"{target}: {part} is a file, not a folder")
    if source is not None and target.resolve() == source.resolve():
        raise UsageError(f"{target}: --out is the input file itself; give another file name")
    if kinds and target.suffix.lower() not in kinds:
        raise UsageError(f"{target}: {writes}; give --out a name ending in {' or '.join(kinds)}")
