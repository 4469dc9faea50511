"""Build the report folder: every page, the shared stylesheet and script, one plotly.min.js."""

import shutil
from datetime import date, datetime
from importlib.resources import files
from pathlib import Path

import duckdb
import jinja2
from markupsafe import Markup
from plotly.offline import get_plotlyjs

from reports.context import ReportContext, read_as_of, read_quality, read_tracks
from reports.downloads import name_downloads, write_downloads
from reports.freshness import (
    failures_log_path,
    failures_since_last_good_run,
    newest_files,
    write_run_status,
)
from reports.pages import PAGES, Page, program
from reports.reader import Reader
from reports.suppression import COMPLEMENTARY, FEW_WITH, FEW_WITHOUT, SMALL, Suppression

LEGEND_MARK = "<!--hidden-legend-->"
HIDDEN_KINDS = (
    (SMALL, "<q>fewer than {k}</q> a group under {k}"),
    (FEW_WITH, "<q>hidden: fewer than {k} did</q> a share that fewer than {k} (perhaps none) had"),
    (
        FEW_WITHOUT,
        "<q>hidden: fewer than {k} did not</q> a share that all but fewer than {k} (perhaps all) "
        "had",
    ),
    (COMPLEMENTARY, "<q>hidden</q> so a small group cannot be worked out by subtraction"),
)


def hidden_legend(html: str, k: int) -> Markup:
    """One legend per page for the hidden cells it has (none when it has none)."""
    kinds = [
        Markup(text.format(k=k)) for kind, text in HIDDEN_KINDS if f'data-hidden="{kind}"' in html
    ]
    if not kinds:
        return Markup("")
    return Markup(
        '<p class="hidden-legend" id="hidden-legend"><strong>Hidden figures</strong> (no figure '
        "describes fewer than {} people): {}. Charts draw them as a grey <q>hidden</q> mark, "
        'never as zero. <a href="methodology.html#privacy">Why</a>.</p>'
    ).format(k, Markup(" · ").join(kinds))


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
    con: duckdb.DuckDBPyConnection,
    k: int,
    as_of_fallback: date | None = None,
    failures_log: Path | None = None,
    replacement_cost: float | None = None,
) -> ReportContext:
    reader = Reader(con)
    return ReportContext(
        replacement_cost=replacement_cost,
        newest_files=newest_files(reader),
        earlier_failures=failures_since_last_good_run(reader, failures_log or failures_log_path()),
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
    con: duckdb.DuckDBPyConnection,
    folder: Path,
    k: int,
    as_of_fallback: date | None = None,
    failures_log: Path | None = None,
    replacement_cost: float | None = None,
) -> list[Path]:
    """Write the pages into `folder`, replacing whatever a previous build left there.
    `failures_log`: the failures log (default `$DAGSTER_HOME/mentorlens-failures.jsonl`)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    write_static(folder)
    ctx = report_context(con, k, as_of_fallback, failures_log, replacement_cost)
    write_run_status(folder, ctx.built_at)
    env = environment()
    written, downloads, topics = [], [], {}

    def write(page: Page, data: dict) -> None:
        html = env.get_template(page.template).render(page=page, pages=PAGES, ctx=ctx, **data)
        html = html.replace(LEGEND_MARK, hidden_legend(html, ctx.k), 1)
        path = folder / page.file
        path.write_text(html, encoding="utf-8")
        written.append(path)

    for page in PAGES:
        data = page.build(ctx)
        downloads += name_downloads(page.file, data.get("sections", []))
        topics[page.file] = data
        write(page, data)
    for track in ctx.tracks:
        # A program page reuses the topic pages' sections (their tables link to their CSVs).
        data = program.build(ctx, track, topics)
        page = Page(program.program_file(track), track.title, "program.html", None, "")
        own = [data["sections"][0], data["sections"][-1]]  # verdicts and fairness
        downloads += name_downloads(page.file, own)
        write(page, data)
    write_downloads(folder, downloads)
    return written


def folder_size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())
