"""What the `mentorlens` command prints: a failing run's one summary naming the file, the
share and the values; no nanobind lines at exit; exit status 2 for wrong arguments."""

from __future__ import annotations

import subprocess

import pytest

from pipelines.cli import main
from tests.ops.conftest import MENTORLENS, RUN_TIMEOUT, cli_env, settings_at, write_tiny_org


def test_a_failing_run_prints_one_summary_naming_file_share_and_values(tmp_path):
    settings = settings_at(tmp_path)
    write_tiny_org(settings.inbox)
    snapshot = (settings.inbox / "employees_2026-10.csv").read_text(encoding="utf-8")
    day_first = snapshot.replace("2019-01-01", "01/01/2019").replace("2020-03-01", "01/03/2020")
    day_first = day_first.replace("2021-05-01", "20/11/1988").replace("2022-07-01", "01/07/2022")
    (settings.inbox / "employees_2026-11.csv").write_text(day_first, encoding="utf-8")

    done = subprocess.run(
        [MENTORLENS, "run"],
        env=cli_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )

    assert done.returncode == 1
    assert "nanobind" not in done.stderr
    assert "Dependencies" not in done.stderr
    out = done.stdout.splitlines()
    assert out[0].startswith("The run failed after")
    assert out[1] == (
        "  employees file employees_2026-11.csv: 4 of 4 rows (100%) quarantined, over the 5% "
        "threshold. [quarantine_within_threshold] First rows quarantined:"
    )
    assert out[4] == (
        "    line 4: hire_date '20/11/1988' is not a real date: expected YYYY-MM-DD "
        "(or set a date format in the mapping)"
    )
    assert len(done.stderr.splitlines()) < 25
    assert not settings.warehouse.exists()


def test_a_clean_command_prints_no_nanobind_lines(tmp_path):
    settings = settings_at(tmp_path)
    write_tiny_org(settings.inbox)
    done = subprocess.run(
        [MENTORLENS, "check", str(settings.inbox)],
        env=cli_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "nanobind" not in done.stderr


@pytest.mark.parametrize(
    "argv", [["bogus"], ["run", "--nope"], ["check"], ["demo", "--employees", "many"]]
)
def test_wrong_arguments_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2


def test_an_unknown_schema_exits_2(small_org, run, capsys):
    assert run(small_org).published
    assert main(["schema", "bogus"]) == 2
    assert "has no schema 'bogus'; its schemas are legacy, marts, meta" in capsys.readouterr().err


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.startswith("mentorlens ")
