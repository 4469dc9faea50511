"""Two runs started together take turns: the second says it waits for the first, both finish,
and the published warehouse holds both, built one after the other."""

from __future__ import annotations

import re

from tests.conftest import query
from tests.ops.conftest import RunProcess, cli_env, copy_state, settings_at


def test_two_runs_started_together_take_turns(tiny_baseline, tmp_path):
    root = copy_state(tiny_baseline, tmp_path / "org")
    settings = settings_at(root)
    env = cli_env(root)

    first, second = RunProcess(env), RunProcess(env)
    assert first.finish() == 0, first.output
    assert second.finish() == 0, second.output

    waited = [run for run in (first, second) if "Waiting for run" in run.output]
    assert len(waited) == 1, first.output + "\n" + second.output
    awaited = re.search(r"Waiting for run ([0-9a-f-]{36})", waited[0].output).group(1)
    # The run that waited built on the one it waited for: both are in the published ledger,
    # the one it waited for first.
    runs = [
        r for (r,) in query(settings.warehouse, "SELECT run_id FROM meta.runs ORDER BY finished_at")
    ]
    assert len(runs) == 3
    assert runs[1] == awaited
    reconciled = query(
        settings.warehouse,
        "SELECT bool_and(rows_read = rows_loaded + rows_quarantined) FROM meta.loaded_files "
        "WHERE status = 'loaded'",
    )
    assert reconciled == [(True,)]
    assert query(settings.warehouse, "SELECT count(*) FROM staging.employees")[0][0] > 0
