"""An analyst holding the published warehouse open read-only never blocks a run and never sees a
half-built state: they keep their snapshot until they reconnect."""

from __future__ import annotations

import duckdb

from tests.ops.conftest import cli_env, copy_state, run_to_end, settings_at

RUNS = "SELECT count(*) FROM meta.runs"


def test_a_reader_keeps_its_snapshot_through_a_run_and_sees_the_new_one_after(
    tiny_baseline, tmp_path
):
    root = copy_state(tiny_baseline, tmp_path / "org")
    published = str(settings_at(root).warehouse)
    reader = duckdb.connect(published, read_only=True)
    try:
        before = reader.execute(RUNS).fetchone()[0]
        run_to_end(cli_env(root))
        assert reader.execute(RUNS).fetchone()[0] == before
        assert reader.execute("SELECT count(*) FROM marts.dim_employee").fetchone()[0] == 4
    finally:
        reader.close()
    with duckdb.connect(published, read_only=True) as again:
        assert again.execute(RUNS).fetchone()[0] == before + 1
