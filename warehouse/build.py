"""What a published warehouse was built from, as one digest: the settings, the code and the
ledger of files. A run that finds the same digest and nothing new in the inbox would publish
the same warehouse and pages again, so it publishes nothing (pipelines/up_to_date.py).

The ledger is part of it because `mentorlens forget` changes only the ledger (and the rows),
and the next run must then publish the warehouse without the file.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from functools import cache
from importlib import metadata
from pathlib import Path

import dagster as dg
import duckdb

from warehouse.db import table_exists
from warehouse.settings import PSEUDONYMIZE_KEY

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# Every package whose code or packaged files shape the warehouse or the pages.
PACKAGES = (
    "assets",
    "demo",
    "effects",
    "ingest",
    "marts",
    "pipelines",
    "quality",
    "reports",
    "stats",
    "surveys",
    "warehouse",
)


# The libraries whose upgrade can change what is validated or estimated.
LIBRARIES = (
    "dagster",
    "duckdb",
    "great_expectations",
    "numpy",
    "openpyxl",
    "pandas",
    "plotly",
    "pyarrow",
    "scipy",
    "statsmodels",
)


@cache
def code_digest() -> str:
    """The project's packages, their packaged files and the versions of the libraries."""
    digest = hashlib.sha256()
    for library in LIBRARIES:
        try:
            digest.update(f"{library}=={metadata.version(library)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{library} absent".encode())
    for package in PACKAGES:
        for path in sorted((PROJECT_ROOT / package).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(PROJECT_ROOT)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


# Settings naming a file the run reads: they stand for the file's bytes.
FILE_SETTINGS = ("mapping", "survey_item_map")


def _setting(resource: dg.ConfigurableResource, field: str) -> object:
    value = getattr(resource, field)
    if field in FILE_SETTINGS and value and Path(value).is_file():
        return [value, hashlib.sha256(Path(value).read_bytes()).hexdigest()]
    return value


def settings_digest(
    resources: Mapping[str, dg.ConfigurableResource], pseudonymize_key: str | None
) -> str:
    """The resources' settings (the pseudonymisation key, which the resource holds as an
    environment variable, given as its value) with the files they name, every other
    MENTORLENS_ variable (some settings are read where they are used), and the code."""
    described = {
        name: {
            field: _setting(resource, field)
            for field in type(resource).model_fields
            if field != "pseudonymize_key"
        }
        for name, resource in sorted(resources.items())
    }
    key = hashlib.sha256(pseudonymize_key.encode()).hexdigest() if pseudonymize_key else None
    environment = {
        name: value
        for name, value in sorted(os.environ.items())
        if name.startswith("MENTORLENS_") and name != PSEUDONYMIZE_KEY
    }
    text = json.dumps([described, key, environment, code_digest()], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def build_digest(con: duckdb.DuckDBPyConnection, settings: str) -> str:
    """`settings_digest` with the ledger of `con`'s warehouse."""
    ledger = (
        con.execute("SELECT file, sha256, status FROM meta.loaded_files ORDER BY ALL").fetchall()
        if table_exists(con, "meta.loaded_files")
        else []
    )
    text = json.dumps([settings, ledger], default=str)
    return hashlib.sha256(text.encode()).hexdigest()
