"""The tierkit version, in a module that imports nothing.

Written here rather than read from the installed package's metadata: ``importlib.metadata``
costs about 35 ms on every command (it imports the e-mail parser to read the metadata file),
a tenth of ``tierkit validate``. tests/test_version.py keeps it equal to pyproject.toml's
version and to the installed metadata.
"""

from __future__ import annotations

VERSION = "0.1.0"
