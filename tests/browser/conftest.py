"""Fixtures of the browser tests: the hostile organisation run once, and where screenshots go."""

import shutil
from pathlib import Path

import dagster as dg
import pytest

from demo import write_demo_inbox
from pipelines.runner import run_pipeline
from tests.browser.hostile import (
    ARTIFACTS,
    COMMENT_MARKER,
    EMPLOYEES,
    PAYLOAD,
    HostileOrganisation,
    plant_payloads,
)
from tests.conftest import settings_under


@pytest.fixture(scope="session")
def hostile_org(tmp_path_factory: pytest.TempPathFactory) -> HostileOrganisation:
    root = tmp_path_factory.mktemp("hostile")
    settings = settings_under(root)
    write_demo_inbox(settings.inbox, employees=EMPLOYEES, bad_rows=False)
    comment = f"My manager said {COMMENT_MARKER} {PAYLOAD}"
    plant_payloads(settings.inbox, comment)
    outcome = run_pipeline(settings, quiet=True, instance=dg.DagsterInstance.ephemeral())
    assert outcome.success, outcome.failures
    return HostileOrganisation(settings, comment)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    shutil.rmtree(ARTIFACTS / "reports", ignore_errors=True)
    (ARTIFACTS / "reports").mkdir(parents=True)
    return ARTIFACTS / "reports"
