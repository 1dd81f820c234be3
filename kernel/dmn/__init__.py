"""DMN 1.5: decision tables in and out of rulesets, and the TCK's decision-table cases."""
