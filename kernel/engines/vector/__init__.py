"""The vector engine and the frames it works on.

:mod:`~tierkit.engines.vector.frames` holds the customers and per-period frames,
:mod:`~tierkit.engines.vector.expressions` compiles ruleset expressions to frame expressions,
:mod:`~tierkit.engines.vector.decide` turns a decision table into when/then expressions over
all customers at once, and :mod:`~tierkit.engines.vector.collect` collects the results.
"""
