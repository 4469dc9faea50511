"""The team deployment: Dagster's run history in a real PostgreSQL server (Debian's), through
deploy/dagster-postgres.yaml. Skipped, saying why, where the server cannot be installed."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import dagster as dg
import pytest

from pipelines.runner import run_pipeline
from tests.ops.conftest import write_tiny_org
from warehouse.settings import Settings

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).parents[2]
SCRIPTS = ROOT / "scripts"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _script(*args: str, timeout: int) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", *args], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="module")
def postgres() -> dict[str, str]:
    """A throwaway server; the DAGSTER_PG_* settings that reach it."""
    installed = _script(str(SCRIPTS / "install-postgres.sh"), timeout=900)
    if installed.returncode != 0:
        pytest.skip(f"PostgreSQL could not be installed: {installed.stderr.strip()[-400:]}")
    # Under /tmp, not pytest's private folder: the server runs as `postgres` when we are root.
    folder = tempfile.mkdtemp(prefix="mentorlens-pg-", dir="/tmp")
    started = _script(
        str(SCRIPTS / "throwaway-postgres.sh"), "start", folder, str(_free_port()), timeout=120
    )
    if started.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.skip(f"PostgreSQL could not be started: {started.stderr.strip()[-400:]}")
    yield dict(line.split("=", 1) for line in started.stdout.split())
    _script(str(SCRIPTS / "throwaway-postgres.sh"), "stop", folder, timeout=120)
    shutil.rmtree(folder, ignore_errors=True)


def test_run_history_lives_in_postgres_and_outlives_the_instance(
    postgres, settings: Settings, monkeypatch: pytest.MonkeyPatch
):
    for name, value in postgres.items():
        monkeypatch.setenv(name, value)
    home = settings.dagster_home
    home.mkdir()
    shutil.copyfile(ROOT / "deploy" / "dagster-postgres.yaml", home / "dagster.yaml")
    write_tiny_org(settings.inbox)

    outcome = run_pipeline(settings, quiet=True)  # its own instance, from DAGSTER_HOME
    assert outcome.success, outcome.failures

    assert not list(home.rglob("*.db")), "nothing of the history may be in SQLite"
    for _ in range(2):  # two instance objects, as two processes of a team would have
        instance = dg.DagsterInstance.from_config(str(home))
        assert instance.get_run_by_id(outcome.run_id).status == dg.DagsterRunStatus.SUCCESS
        surveys = instance.get_latest_materialization_event(
            dg.AssetKey(["staging", "survey_responses"])
        )
        assert surveys.run_id == outcome.run_id
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        instance.dispose()
