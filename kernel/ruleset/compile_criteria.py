"""Compiling a ruleset's criteria: plugins' criteria and strategies bound to names, customer
attributes read as criteria."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from tierkit.errors import (
    ParameterError,
    UnknownCriterionError,
    UnknownStrategyError,
    WrongValueError,
    did_you_mean,
)
from tierkit.params import resolve_params
from tierkit.ruleset.attributes import (
    NOT_ATTRIBUTES,
    PREFIX,
    attribute_column,
    default_type,
)
from tierkit.ruleset.compile_step import DEFAULT_STRATEGY, CompileStep
from tierkit.ruleset.compiled import (
    CriterionBinding,
)
from tierkit.ruleset.model import CriterionUse
from tierkit.ruleset.source import KeyPath
from tierkit.ruleset.types import Type


class CriteriaStep(CompileStep):
    """Bind each name under ``criteria:`` to a criterion."""

    def criteria(self, strategy: str | None) -> dict[str, CriterionBinding]:
        bindings: dict[str, CriterionBinding] = {}
        for name, entry in self.model.criteria.items():
            use = entry if isinstance(entry, CriterionUse) else CriterionUse(use=entry)
            path: KeyPath = ("criteria", name)
            use_path = (*path, "use") if isinstance(entry, CriterionUse) else path
            binding = self.bind(name, use, path, use_path, strategy)
            if binding is not None:
                bindings[name] = binding
        return bindings

    def bind(
        self,
        name: str,
        use: CriterionUse,
        path: KeyPath,
        use_path: KeyPath,
        strategy: str | None,
    ) -> CriterionBinding | None:
        column = attribute_column(use.use)
        if column is not None:
            return self.bind_attribute(name, use, column, path, use_path)
        if use.type is not None:
            self.add(
                WrongValueError,
                f"'type' is only for customer attributes (use: customer.COLUMN); the type of "
                f"'{use.use}' is fixed by its plugin",
                (*path, "type"),
                key=True,
            )
        params: dict[str, Any] = {}
        if use.use == "value":
            if strategy is None:
                if self.model.strategy is None and not self.removed.strategy:
                    self.add(
                        UnknownStrategyError,
                        f"'use: value' needs a strategy, and the default strategy "
                        f"'{DEFAULT_STRATEGY}' is not installed",
                        use_path,
                    )
                return None
            chosen = self.registry.strategies[strategy]
            criterion_name = chosen.value
            params.update(chosen.params)
        else:
            criterion_name = use.use
        criterion = self.registry.criteria.get(criterion_name)
        if criterion is None:
            known = sorted(self.registry.criteria)
            self.add(
                UnknownCriterionError,
                f"unknown criterion '{criterion_name}'{did_you_mean(criterion_name, known)}",
                use_path,
                hint="see `tierkit plugins` for installed criteria, or use: value for the "
                "strategy's value",
            )
            return None
        resolved, problems = resolve_params(criterion.params, {**params, **use.params})
        for key, message in problems:
            allowed = [p.name for p in criterion.params]
            suffix = did_you_mean(key, allowed) if message.startswith("unknown") else ""
            self.add(
                ParameterError,
                f"{message} for criterion '{criterion_name}'{suffix}",
                (*path, "params", key),
                key=message.startswith("unknown"),
                hint=("parameters: " + ", ".join(allowed))
                if allowed
                else f"'{criterion_name}' takes no parameters",
            )
        if use.per == "period" and not criterion.per_period:
            self.add(
                WrongValueError,
                f"criterion '{criterion_name}' has one value per customer; per: period is not "
                "available for it",
                (*path, "per"),
            )
        per_period = use.per == "period"
        return CriterionBinding(
            name=name,
            criterion=criterion_name,
            uses_value=use.use == "value",
            per_period=per_period,
            periods=use.periods or self.model.window.periods,
            params=MappingProxyType(resolved),
            type=Type(criterion.type.value, per_period, criterion.neutral is None),
            title=use.title or criterion.title,
        )

    def bind_attribute(
        self, name: str, use: CriterionUse, column: str, path: KeyPath, use_path: KeyPath
    ) -> CriterionBinding | None:
        """``use: customer.COLUMN``: the column as a criterion of the declared type."""
        if not column or column in NOT_ATTRIBUTES:
            self.add(
                WrongValueError,
                f"'{use.use}' is not a customer attribute: use: customer.COLUMN names a column "
                f"of the customers table other than {', '.join(sorted(NOT_ATTRIBUTES))}",
                use_path,
            )
            return None
        for key, given in (
            ("per", use.per != "window"),
            ("periods", use.periods is not None),
            ("params", bool(use.params)),
        ):
            if given:
                self.add(
                    WrongValueError,
                    f"'{key}' does not apply to a customer attribute ('{use.use}' has one "
                    "value per customer and no parameters)",
                    (*path, key),
                    key=True,
                )
        type_name = use.type or default_type(column)
        earlier = self.attribute_types.setdefault(column, type_name)
        if earlier != type_name:
            self.add(
                WrongValueError,
                f"column '{column}' of the customers table is read as {earlier} by an earlier "
                f"criterion and as {type_name} here; a column has one type",
                (*path, "type") if use.type else use_path,
            )
        span = self.doc.span(use_path)
        return CriterionBinding(
            name=name,
            criterion=PREFIX + column,
            uses_value=False,
            per_period=False,
            periods=self.model.window.periods,
            params=MappingProxyType({}),
            type=Type(type_name),  # type: ignore[arg-type]
            title=use.title or column.replace("_", " ").capitalize(),
            attribute=column,
            where=f"{self.doc.source.path}:{span.line}:{span.column}",
        )

    # decisions' value types -------------------------------------------------------------------
