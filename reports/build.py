"""Build the report folder: every page, the shared stylesheet and script, one plotly.min.js."""

import shutil
from datetime import date, datetime
from importlib.resources import files
from pathlib import Path

import duckdb
import jinja2
from plotly.offline import get_plotlyjs

from reports.context import ReportContext, read_as_of, read_quality, read_tracks
from reports.pages import PAGES
from reports.reader import Reader
from reports.suppression import Suppression

STATIC = ("report.css", "print.css", "report.js")
PLOTLY_JS = "plotly.min.js"


def environment() -> jinja2.Environment:
    """Templates with autoescaping on for everything: text from data is always escaped."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("reports", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def report_context(
    con: duckdb.DuckDBPyConnection, k: int, as_of_fallback: date | None = None
) -> ReportContext:
    reader = Reader(con)
    return ReportContext(
        reader=reader,
        suppression=Suppression(k),
        as_of=read_as_of(reader, as_of_fallback),
        quality=read_quality(reader),
        tracks=read_tracks(reader),
        built_at=datetime.now(),
    )


def write_static(folder: Path) -> None:
    static = folder / "static"
    static.mkdir(parents=True)
    source = files("reports") / "static"
    for name in STATIC:
        (static / name).write_bytes((source / name).read_bytes())
    (static / PLOTLY_JS).write_text(get_plotlyjs(), encoding="utf-8")


def build_reports(
    con: duckdb.DuckDBPyConnection, folder: Path, k: int, as_of_fallback: date | None = None
) -> list[Path]:
    """Write the pages into `folder`, replacing whatever a previous build left there."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    write_static(folder)
    ctx = report_context(con, k, as_of_fallback)
    env = environment()
    written = []
    for page in PAGES:
        data = page.build(ctx)
        html = env.get_template(page.template).render(page=page, pages=PAGES, ctx=ctx, **data)
        path = folder / page.file
        path.write_text(html, encoding="utf-8")
        written.append(path)
    return written


def folder_size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())
