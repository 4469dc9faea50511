"""The published report pages in a real browser, opened from disk with the network off.

Needs Debian's Chromium (scripts/install-system-deps.sh) and the `playwright` package, which
drives /usr/bin/chromium directly (its own browser download is not used).
"""

from dataclasses import dataclass, field

import pytest

from reports.build import PLOTLY_JS
from reports.pages import PAGES
from tests.browser.hostile import CHROMIUM, COMMENT_MARKER, PAYLOAD
from tests.conftest import query

pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    pytest.skip(
        f"{CHROMIUM} is not installed: run scripts/install-system-deps.sh", allow_module_level=True
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is needed")

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
CHARTS_DRAWN = """() => [...document.querySelectorAll('[data-chart]')]
    .every(chart => chart.querySelector('svg.main-svg') !== null)"""


@dataclass
class Visit:
    """What happened while a page was open."""

    name: str
    console_errors: list[str] = field(default_factory=list)
    charts: int = 0
    charts_with_svg: int = 0
    as_of: str = ""
    xss: object = None
    nav_printed: bool = True


@pytest.fixture(scope="module")
def visits(hostile_org, artifacts, tmp_path_factory) -> tuple[dict[str, Visit], list[str]]:
    """Open every page once, screenshot it, and record what the tests below check."""
    requests: list[str] = []

    def route(route) -> None:
        # Anything but the report's own files would be the network: block and record it.
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            requests.append(route.request.url)
            route.abort()

    found = {}
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_FLAGS,
            offline=True,
            viewport={"width": 1280, "height": 900},
        )
        context.route("**/*", route)
        for page_spec in PAGES:
            visit = Visit(page_spec.file)
            page = context.new_page()
            page.on(
                "console",
                lambda message, visit=visit: (
                    visit.console_errors.append(message.text) if message.type == "error" else None
                ),
            )
            page.on("pageerror", lambda error, visit=visit: visit.console_errors.append(str(error)))
            page.goto((hostile_org.settings.reports / page_spec.file).as_uri())
            page.wait_for_load_state("load")
            page.wait_for_function(CHARTS_DRAWN, timeout=15_000)
            visit.charts = page.locator("[data-chart]").count()
            visit.charts_with_svg = page.locator("[data-chart] svg.main-svg").evaluate_all(
                "svgs => new Set(svgs.map(s => s.closest('[data-chart]'))).size"
            )
            visit.as_of = page.locator("#as-of").inner_text()
            visit.xss = page.evaluate("() => window.__xss")
            page.screenshot(path=str(artifacts / f"{page_spec.file}.png"), full_page=True)
            page.emulate_media(media="print")
            visit.nav_printed = page.locator(".masthead nav").is_visible()
            page.close()
            found[page_spec.file] = visit
        context.close()
    return found, requests


def test_every_page_opens_without_console_errors(visits):
    pages, _ = visits
    assert {name: v.console_errors for name, v in pages.items() if v.console_errors} == {}


def test_every_chart_is_drawn_as_svg(visits):
    pages, _ = visits
    assert sum(v.charts for v in pages.values()) > 10
    for visit in pages.values():
        assert visit.charts_with_svg == visit.charts, visit.name


def test_every_page_shows_the_as_of_date(visits, hostile_org):
    pages, _ = visits
    as_of = query(hostile_org.settings.warehouse, "SELECT as_of FROM marts.run_info")[0][0]
    for visit in pages.values():
        assert visit.as_of == as_of.strftime("%-d %B %Y"), visit.name


def test_the_pages_ask_nothing_of_the_network(visits):
    _, requests = visits
    assert requests == []


def test_no_payload_from_the_data_runs(visits):
    pages, _ = visits
    assert {name: v.xss for name, v in pages.items() if v.xss is not None} == {}


def test_the_payload_is_shown_as_text(hostile_org):
    health = (hostile_org.settings.reports / "program-health.html").read_text(encoding="utf-8")
    assert PAYLOAD not in health
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in health


def test_no_survey_comment_is_anywhere_in_the_report_folder(hostile_org):
    for path in hostile_org.settings.reports.rglob("*"):
        if path.is_file() and path.name != PLOTLY_JS:
            text = path.read_text(encoding="utf-8", errors="replace")
            assert COMMENT_MARKER not in text, path.name
            assert hostile_org.comment not in text, path.name


def test_navigation_is_left_off_paper(visits):
    pages, _ = visits
    assert not any(v.nav_printed for v in pages.values())
