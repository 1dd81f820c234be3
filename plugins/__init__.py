"""tierkit's built-in plugins: criteria, strategies and expression functions.

They register through the ``tierkit`` entry-point group like any other plugin; the kernel never
imports them by name.
"""
