"""The customer id column, for the modules that still import it from here.

The frames live in :mod:`tierkit.engines.vector.frames`, the shared column names in
:mod:`tierkit.columns`: import them from there.
"""

from tierkit.columns import ID as ID
