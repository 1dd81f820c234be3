"""The rulesets shipped inside the package, and resolving ruleset arguments to files."""

from __future__ import annotations

from collections.abc import Iterable
from importlib.resources import as_file, files
from pathlib import Path

from tierkit.errors import UsageError, did_you_mean


def shipped_rulesets() -> dict[str, Path]:
    """Shipped rulesets by name (file name without ``.yaml``)."""
    folder = files("tierkit.rulesets")
    found: dict[str, Path] = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".yaml"):
            with as_file(entry) as path:
                found[entry.name.removesuffix(".yaml")] = Path(path)
    return dict(sorted(found.items()))


def resolve_ruleset_path(argument: str) -> Path:
    """The one file for a ruleset argument (a file or a shipped ruleset name); a folder is
    refused, since a command that evaluates one ruleset cannot choose among several."""
    if Path(argument).is_dir():
        raise UsageError(
            f"{argument}: is a folder; name one ruleset file in it (tierkit validate and"
            " tierkit test take a folder)"
        )
    [path] = resolve_ruleset_paths([argument])
    return path


def resolve_ruleset_paths(arguments: Iterable[str]) -> list[Path]:
    """Files for ruleset arguments: a file, a folder of ``*.yaml``, or a shipped ruleset name."""
    paths: list[Path] = []
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            inside = sorted([*path.glob("*.yaml"), *path.glob("*.yml")])
            if not inside:
                raise UsageError(f"{argument}: the folder holds no *.yaml ruleset files")
            paths.extend(inside)
        elif path.exists() or "/" in argument or argument.endswith((".yaml", ".yml")):
            paths.append(path)
        else:
            shipped = shipped_rulesets()
            if argument not in shipped:
                raise UsageError(
                    f"no ruleset file or shipped ruleset named '{argument}'"
                    f"{did_you_mean(argument, shipped)}; shipped: {', '.join(shipped)}"
                )
            paths.append(shipped[argument])
    return paths
