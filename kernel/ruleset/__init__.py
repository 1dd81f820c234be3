"""Rulesets: read a YAML file, check it, and compile it into an immutable plan.

The stages are public and separate: :func:`~tierkit.ruleset.source.read_document` (YAML with
positions), :func:`~tierkit.ruleset.model.parse_model` (the typed model),
:func:`~tierkit.ruleset.compile.compile_ruleset` (names, types, graph). :func:`load_ruleset`
runs them all and raises :class:`~tierkit.errors.RulesetInvalid` with every problem found.
"""

from tierkit.ruleset.load import load_ruleset, load_ruleset_text

__all__ = ["load_ruleset", "load_ruleset_text"]
