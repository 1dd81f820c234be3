"""The benchmark: tierkit against hand-written polars and pandas (docs/performance.md)."""
