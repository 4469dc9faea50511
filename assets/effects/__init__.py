"""Pure statistics for program effects: no Dagster, no I/O."""
