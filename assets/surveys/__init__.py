"""Survey instruments, answer parsing and scoring: plain functions, no Dagster."""
