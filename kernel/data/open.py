"""Choose the source kind that can open a location, and open it."""

from __future__ import annotations

import re
from pathlib import Path

from tierkit.contract import OpenedSource
from tierkit.errors import DataInvalid, DataProblem, PluginError
from tierkit.registry import Registry


def open_source(location: str, registry: Registry) -> OpenedSource:
    """Open ``location`` with the first installed source kind that accepts it."""
    if "://" not in location and not Path(location).exists():
        raise DataInvalid([DataProblem(location, "no such file or folder")])
    for source in registry.sources.values():
        try:
            accepted = source.accepts(location)
        except Exception as exc:
            raise PluginError(
                source.plugin,
                "tierkit_sources",
                f"source '{source.name}' failed to check {location}: {exc}",
            ) from exc
        if not accepted:
            continue
        try:
            opened = source.open(location)
        except (DataInvalid, PluginError):
            raise
        except Exception as exc:
            raise DataInvalid(
                [
                    DataProblem(
                        without_password(location),
                        f"cannot be opened as {source.name}: {type(exc).__name__}: {exc}",
                    )
                ]
            ) from exc
        if not isinstance(opened, OpenedSource):
            raise PluginError(
                source.plugin,
                "tierkit_sources",
                f"source '{source.name}' returned {type(opened).__name__}, expected OpenedSource",
            )
        return opened
    kinds = "; ".join(f"{s.name}: {s.description}" for s in registry.sources.values())
    raise DataInvalid(
        [DataProblem(without_password(location), f"no installed source kind can open it ({kinds})")]
    )


def without_password(location: str) -> str:
    """A database URL as it may be printed: ``scheme://user:secret@host`` → ``scheme://user@host``."""
    return re.sub(r"^([A-Za-z][A-Za-z0-9+.-]*://[^/@]*?):[^/@]*@", r"\1@", location)
