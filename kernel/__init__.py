"""tierkit: decide which customers matter most, with criterion plugins and declarative rulesets.

Load a ruleset with :func:`load_ruleset`; the plugin contract is in :mod:`tierkit.hookspecs`
and :mod:`tierkit.contract`.
"""

from importlib.metadata import PackageNotFoundError, version

from tierkit.errors import TierkitError
from tierkit.ruleset import load_ruleset, load_ruleset_text

try:
    __version__ = version("tierkit")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = ["TierkitError", "__version__", "load_ruleset", "load_ruleset_text"]
