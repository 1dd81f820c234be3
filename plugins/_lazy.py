"""narwhals, imported when a plugin first uses it rather than when the plugin is loaded.

Loading a ruleset loads every plugin (to know its criteria and functions), but only an
evaluation computes anything: ``tierkit validate`` need not pay for importing narwhals
(about 0.07 s). A plugin writes::

    if TYPE_CHECKING:
        import narwhals.stable.v2 as nw
    else:
        from tierkit.plugins._lazy import nw

and uses ``nw`` as usual: type checkers see the module itself, and at run time the first
attribute read imports it (each attribute is then kept, so later reads cost nothing).
"""

from __future__ import annotations

import importlib
import types
from typing import Any


class LazyModule(types.ModuleType):
    """A stand-in for the module ``target``, imported on the first attribute read."""

    def __init__(self, target: str) -> None:
        super().__init__(f"{target} (imported on first use)")
        self.__dict__["_target"] = target

    def __getattr__(self, attribute: str) -> Any:
        value = getattr(importlib.import_module(self.__dict__["_target"]), attribute)
        setattr(self, attribute, value)
        return value


nw = LazyModule("narwhals.stable.v2")
