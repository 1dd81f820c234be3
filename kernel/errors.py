"""One exception hierarchy for everything a user can get wrong.

Every error says where (``file:line:column``, a table and column, or a plugin and hook), what
was found and what was expected. :class:`RulesetProblem` subclasses describe one problem in a
ruleset; :class:`RulesetInvalid` carries every problem found in one file, so an analyst fixes
them all in one round.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tierkit.exitcodes import ExitCode


@dataclass(frozen=True)
class Location:
    """Where something is in a file: 1-based line and column, and how many columns to underline."""

    path: str
    line: int = 1
    column: int = 1
    length: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


class TierkitError(Exception):
    """Root of every error tierkit raises on purpose."""

    exit_code: ExitCode = ExitCode.BAD_INPUT

    def render(self) -> str:
        """The message as printed on a terminal."""
        return str(self)


def suggest(name: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to a misspelled name, if one is close enough."""
    matches = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return matches[0] if matches else None


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """``" (did you mean 'x'?)"`` or an empty string."""
    best = suggest(name, candidates)
    return f" (did you mean '{best}'?)" if best else ""


# --------------------------------------------------------------------------------------------
# ruleset problems


class RulesetProblem(TierkitError):
    """One problem in a ruleset file, at a location, with the source line for a caret."""

    code = "ruleset"

    def __init__(
        self,
        message: str,
        location: Location,
        source_line: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        self.source_line = source_line
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"

    def render(self) -> str:
        lines = [f"{self.location}: {self.message}"]
        if self.source_line is not None:
            number = str(self.location.line)
            gutter = " " * len(number)
            text = self.source_line.rstrip("\r\n").expandtabs(1)
            lines.append(f"  {number} | {text}")
            width = max(1, min(self.location.length, max(1, len(text) - self.location.column + 1)))
            lines.append(f"  {gutter} | {' ' * (self.location.column - 1)}{'^' * width}")
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, object]:
        """The problem for ``--json`` output."""
        return {
            "code": self.code,
            "kind": type(self).__name__,
            "file": self.location.path,
            "line": self.location.line,
            "column": self.location.column,
            "message": self.message,
            "hint": self.hint,
        }


class FileReadError(RulesetProblem):
    """The file cannot be read: missing, a folder, or not readable."""

    code = "file"


class EncodingProblem(RulesetProblem):
    """The file is not UTF-8 text."""

    code = "encoding"


class EmptyFileError(RulesetProblem):
    """The file holds nothing but blanks and comments."""

    code = "empty"


class YamlSyntaxError(RulesetProblem):
    """The file is not valid YAML (including tab indentation)."""

    code = "yaml"


class DuplicateKeyError(RulesetProblem):
    """A mapping has the same key twice; YAML would silently keep the last."""

    code = "duplicate-key"


class StructureError(RulesetProblem):
    """The document's shape is wrong: a list or a text where a mapping is expected, and so on."""

    code = "structure"


class UnknownKeyError(StructureError):
    """A key that the ruleset format does not have."""

    code = "unknown-key"


class MissingKeyError(StructureError):
    """A required key is absent."""

    code = "missing-key"


class WrongValueError(StructureError):
    """A key's value has the wrong type or is not one of the allowed values."""

    code = "wrong-value"


class DuplicateNameError(RulesetProblem):
    """The same name is given to a criterion, a derived fact or a decision twice."""

    code = "duplicate-name"


class UnknownCriterionError(RulesetProblem):
    """``use:`` names no installed criterion."""

    code = "unknown-criterion"


class UnknownStrategyError(RulesetProblem):
    """``strategy:`` names no installed strategy."""

    code = "unknown-strategy"


class ParameterError(RulesetProblem):
    """A criterion parameter is unknown or has a bad value."""

    code = "parameter"


class WindowError(RulesetProblem):
    """The window (period and number of periods) is not usable."""

    code = "window"


class ExpressionSyntaxError(RulesetProblem):
    """An expression cannot be parsed: unbalanced parentheses, a stray operator, ..."""

    code = "expression-syntax"


class ForbiddenSyntaxError(ExpressionSyntaxError):
    """Python that the expression language deliberately lacks: attributes, dunders, lambdas."""

    code = "forbidden-syntax"


class LimitError(RulesetProblem):
    """A ruleset goes past a documented limit: nesting, aliases, bands, text length."""

    code = "limit"


class UnknownNameError(RulesetProblem):
    """An expression names no criterion, derived fact, decision or ``previous.*`` value."""

    code = "unknown-name"


class UnknownFunctionError(RulesetProblem):
    """An expression calls a function that does not exist."""

    code = "unknown-function"


class ArityError(RulesetProblem):
    """A function is called with the wrong number or names of arguments."""

    code = "arity"


class TypeMismatchError(RulesetProblem):
    """Operands or arguments of the wrong type (``tenure >= 'abc'``)."""

    code = "type"


class RankingOutsideDeriveError(RulesetProblem):
    """A ranking (population) function is used in a decision condition."""

    code = "ranking-in-decision"


class CycleError(RulesetProblem):
    """Derived facts and decisions refer to each other in a circle."""

    code = "cycle"


class IncompleteDecisionError(RulesetProblem):
    """A decision has no default and its rules cannot be shown to decide every customer."""

    code = "incomplete-decision"


class ThenTypeError(RulesetProblem):
    """A rule's ``then`` is not a single text, number or true/false, or mixes types."""

    code = "then-type"


class OutcomesError(RulesetProblem):
    """A decision's ``outcomes`` list does not match the values its rules give, or ``main``
    names no decision."""

    code = "outcomes"


class PolicyError(RulesetProblem):
    """A policy is given for a category that no rule can decide."""

    code = "policy"


class ExampleError(RulesetProblem):
    """A ruleset example (``tests:``) names something that does not exist or gives a bad value."""

    code = "example"


class RulesetInvalid(TierkitError):
    """A ruleset file has one or more problems; all of them are in :attr:`problems`."""

    def __init__(self, problems: Sequence[RulesetProblem]) -> None:
        self.problems = tuple(sorted(problems, key=_problem_order))
        first = self.problems[0] if self.problems else None
        count = len(self.problems)
        summary = f"{count} problem{'s' if count != 1 else ''}"
        super().__init__(f"{first.location.path if first else 'ruleset'}: {summary}")

    def render(self) -> str:
        body = "\n\n".join(p.render() for p in self.problems)
        count = len(self.problems)
        return f"{body}\n\n{count} problem{'s' if count != 1 else ''} found."


def _problem_order(problem: RulesetProblem) -> tuple[str, int, int]:
    loc = problem.location
    return (loc.path, loc.line, loc.column)


# --------------------------------------------------------------------------------------------
# workbooks (tierkit import rules.xlsx)


class WorkbookProblem(TierkitError):
    """One mistake in a ruleset workbook, at a sheet and cell (``category!C4``)."""

    code = "workbook"

    def __init__(self, sheet: str, cell: str, message: str, hint: str | None = None) -> None:
        self.sheet = sheet
        self.cell = cell
        self.message = message
        self.hint = hint
        super().__init__(f"{self.where}: {message}")

    @property
    def where(self) -> str:
        """``sheet!cell``, the sheet quoted as Excel quotes it when it is not a plain word."""
        if not self.cell:  # the file itself: no workbook, no sheet
            return self.sheet
        plain = self.sheet.replace("_", "").isalnum()
        sheet = self.sheet if plain else "'" + self.sheet.replace("'", "''") + "'"
        return f"{sheet}!{self.cell}"

    def render(self) -> str:
        return str(self) + (f"\n  hint: {self.hint}" if self.hint else "")


class WorkbookInvalid(TierkitError):
    """A ruleset workbook has one or more mistakes; all of them are in :attr:`problems`."""

    def __init__(self, problems: Sequence[WorkbookProblem]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in the workbook")

    def render(self) -> str:
        body = "\n".join(p.render() for p in self.problems)
        count = len(self.problems)
        return f"{body}\n\n{count} problem{'s' if count != 1 else ''} found."


# --------------------------------------------------------------------------------------------
# plugins


HOOK_PREFIX = "tierkit_"
"""Every hook's name starts with it (:mod:`tierkit.hookspecs`)."""


class PluginError(TierkitError):
    """A plugin broke the contract: it raised, returned the wrong shape, or repeated a name."""

    def __init__(self, plugin: str, where: str, message: str) -> None:
        self.plugin = plugin
        self.where = where
        """Where it broke: a hook (``tierkit_criteria``) or a step of loading or running a plugin
        (``import``, ``register``, ``entry point``, ``TIERKIT_PLUGINS``, a criterion's
        ``compute``)."""
        self.hook: str | None = where if where.startswith(HOOK_PREFIX) else None
        """The hook that broke the contract, or None when it broke elsewhere."""
        self.message = message
        super().__init__(f"plugin '{plugin}' ({where}): {message}")


class DataProblem(TierkitError):
    """One problem with the data: a missing table or column, a wrong type, bad rows."""

    def __init__(
        self,
        origin: str,
        message: str,
        *,
        column: str | None = None,
        count: int = 0,
        examples: Sequence[str] = (),
    ) -> None:
        self.origin = origin
        self.column = column
        self.message = message
        self.count = count
        self.examples = tuple(examples)
        super().__init__(f"{origin}: {message}")

    def render(self) -> str:
        lines = [f"{self.origin}: {self.message}"]
        lines.extend(f"    {example}" for example in self.examples)
        return "\n".join(lines)

    def as_dict(self) -> dict[str, object]:
        return {
            "origin": self.origin,
            "column": self.column,
            "message": self.message,
            "count": self.count,
            "examples": list(self.examples),
        }


class DataInvalid(TierkitError):
    """The data cannot be used; every problem found is in :attr:`problems`."""

    def __init__(self, problems: Sequence[DataProblem]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        super().__init__(f"{count} data problem{'s' if count != 1 else ''}")

    def render(self) -> str:
        count = len(self.problems)
        body = "\n".join(p.render() for p in self.problems)
        return f"{body}\n\n{count} data problem{'s' if count != 1 else ''} found."


class UsageError(TierkitError):
    """A command-line option or argument is wrong."""


class EngineUnavailable(TierkitError):
    """An engine cannot run on this Python or without an optional package."""


class HitPolicyError(TierkitError):
    """A decision's hit policy is broken by the data: overlapping rules under ``unique``, or
    overlapping rules that disagree under ``any``. Names the decision, the rules and a customer.
    """
