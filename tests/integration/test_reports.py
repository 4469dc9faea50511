"""The report pages of a small organisation, built by the whole pipeline and published.

With 150 employees many groups are small, so these tests also check that no page shows a
figure about fewer than k people, nor one that subtraction would give away.
"""

import re

import dagster as dg
import pytest

from demo import write_demo_inbox
from pipelines.runner import run_pipeline
from reports.audit import audit_folder, page_figures
from reports.build import PLOTLY_JS
from reports.pages import PAGES
from tests.conftest import query, settings_under
from warehouse.settings import Settings

EMPLOYEES = 150


@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("small_org")
    settings = settings_under(root)
    write_demo_inbox(settings.inbox, employees=EMPLOYEES, bad_rows=False)
    outcome = run_pipeline(settings, quiet=True, instance=dg.DagsterInstance.ephemeral())
    assert outcome.success, outcome.failures
    return settings


def pages(settings: Settings) -> dict[str, str]:
    return {p.file: (settings.reports / p.file).read_text(encoding="utf-8") for p in PAGES}


def test_every_page_is_published_and_the_building_folder_is_gone(small_run):
    assert sorted(pages(small_run)) == sorted(p.file for p in PAGES)
    assert not (small_run.reports.parent / f".{small_run.reports.name}.building").exists()
    assert (small_run.reports / "static" / PLOTLY_JS).exists()


def test_every_figure_on_every_page_agrees_with_the_warehouse(small_run):
    problems, checked = audit_folder(
        small_run.reports, small_run.warehouse, small_run.min_group_size
    )
    assert checked > 500
    assert problems == []


def test_small_groups_are_hidden_including_by_subtraction(small_run):
    figures = [f for page in small_run.reports.glob("*.html") for f in page_figures(page)]
    reasons = {f.hidden for f in figures}
    # The organisation is small enough to need both kinds of suppression...
    assert {"small", "complementary"} <= reasons
    # ...and no hidden figure gives its value or size away.
    for figure in figures:
        if figure.hidden:
            assert "data-value" not in figure.attributes
            k = small_run.min_group_size
            assert figure.text in (
                f"fewer than {k}",
                f"hidden: fewer than {k} did",
                f"hidden: fewer than {k} did not",
                "hidden",
            )


def test_every_page_shows_the_as_of_date_and_the_last_runs_data_quality(small_run):
    as_of = query(small_run.warehouse, "SELECT as_of FROM marts.run_info")[0][0]
    for name, html in pages(small_run).items():
        assert f'data-value="{as_of.isoformat()}"' in html, name
        assert re.search(r'class="status status-(clean|warnings|problems)"', html), name


def test_every_estimate_on_the_effect_pages_has_an_interval(small_run):
    for name in ("retention.html", "advancement.html", "wellbeing.html"):
        figures = page_figures(small_run.reports / name)
        shown = {
            (f.source, f.attributes["data-key"], f.attributes["data-column"])
            for f in figures
            if "data-value" in f.attributes and f.source
        }
        for source, key, column in shown:
            if source == "marts.program_effects" and column == "estimate":
                assert (source, key, "ci_low") in shown and (source, key, "ci_high") in shown


def test_no_survey_comment_appears_in_the_reports(small_run):
    comments = [
        text
        for (text,) in query(
            small_run.warehouse, "SELECT DISTINCT comment FROM staging.survey_comments"
        )
        if text and len(text.strip()) >= 12
    ]
    assert comments, "the demo writes comments"
    report = "\n".join(
        p.read_text(encoding="utf-8", errors="replace")
        for p in small_run.reports.rglob("*")
        if p.is_file() and p.name != PLOTLY_JS
    )
    for comment in comments:
        fragment = comment.strip().splitlines()[0][:40]
        assert fragment not in report
