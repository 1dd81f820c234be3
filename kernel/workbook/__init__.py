"""A ruleset as an Excel workbook and back: ``tierkit export R --out r.xlsx``, ``tierkit import
r.xlsx`` (docs/excel.md)."""
