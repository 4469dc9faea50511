"""What issue 18 asks of the pages, checked in Chromium on the hostile organisation's report:
headline figures come from adjusted rows, every raw (naive) figure says so, no group's share
reads 0% or 100%, and every download link opens a file."""

from pathlib import Path

import pytest

from reports.pages import PAGES
from tests.browser.hostile import CHROMIUM

pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is needed")

READ = """() => {
  const method = f => {
    try { return JSON.parse(f.dataset.key || '{}').method; } catch (e) { return null; }
  };
  const headerOf = cell => {
    const table = cell.closest('table');
    const index = [...cell.parentElement.children].indexOf(cell);
    const th = table && table.querySelectorAll('thead th')[index];
    return th ? th.textContent : '';
  };
  const context = f => {
    const cell = f.closest('td, th');
    if (cell) {
      const caption = cell.closest('table').querySelector('caption');
      return [cell.textContent, headerOf(cell), caption ? caption.textContent : ''].join(' | ');
    }
    const block = f.closest('li, p, .raw, figcaption');
    return block ? block.textContent : '';
  };
  const figures = [...document.querySelectorAll('.fig')];
  const headline = [...document.querySelectorAll('#verdicts .fig, #programs .fig')]
    .filter(f => f.dataset.source === 'marts.program_effects' && !f.closest('.raw'))
    .map(f => method(f));
  // A raw figure: a naive row's estimate, interval or p-value (its counts of people are the
  // adjusted row's too).
  const estimate = f => ['estimate', 'ci_low', 'ci_high', 'p_value'].includes(f.dataset.column);
  const naive = figures.filter(f => method(f) === 'naive' && estimate(f))
    .map(f => ({text: f.textContent, context: context(f)}));
  const extremes = figures.filter(f => f.dataset.unit === 'percent' && !f.dataset.hidden &&
      !/ci_(low|high)/.test(f.dataset.column || '') && /^(0|100)%$/.test(f.textContent.trim()))
    .map(f => f.dataset.column + ' ' + f.dataset.key);
  const downloads = [...document.querySelectorAll('a[download]')].map(a => a.getAttribute('href'));
  return {headline, naive, extremes, downloads};
}"""


@pytest.fixture(scope="module")
def pages(hostile_org) -> dict[str, dict]:
    folder = hostile_org.settings.reports
    names = [p.file for p in PAGES] + sorted(p.name for p in folder.glob("program-*.html"))
    found = {}
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context(offline=True)
        for name in names:
            page = context.new_page()
            page.goto((folder / name).as_uri())
            page.wait_for_load_state("load")
            found[name] = page.evaluate(READ)
            page.close()
        browser.close()
    return found


def test_there_is_a_page_per_program(pages):
    assert any(name.startswith("program-") for name in pages)


def test_every_headline_figure_on_the_overview_comes_from_an_adjusted_row(pages):
    headline = pages["index.html"]["headline"]
    assert headline and set(headline) == {"adjusted"}


def test_no_naive_figure_lacks_the_words_raw_comparison(pages):
    missing = {
        name: [n for n in page["naive"] if "raw comparison" not in n["context"].lower()]
        for name, page in pages.items()
    }
    assert {name: found for name, found in missing.items() if found} == {}
    assert any(page["naive"] for page in pages.values())


def test_no_share_of_0_or_100_percent_is_shown_for_a_group(pages):
    assert {name: p["extremes"] for name, p in pages.items() if p["extremes"]} == {}


def test_every_download_link_opens_a_file(pages, hostile_org):
    folder: Path = hostile_org.settings.reports
    links = {href for page in pages.values() for href in page["downloads"]}
    assert any(h.endswith(".csv") for h in links) and any(h.endswith(".xlsx") for h in links)
    assert [h for h in links if not (folder / h).is_file()] == []


def test_after_a_failed_run_every_page_says_it_shows_the_last_good_run(hostile_org, tmp_path):
    import shutil

    from reports.freshness import record_failed_run

    folder = tmp_path / "reports"
    shutil.copytree(hostile_org.settings.reports, folder)
    entry = {
        "at": "2026-12-01T09:30:00+00:00",
        "run_id": "r9",
        "message": "check staging/employees failed: <b>12 rows</b> without a hire date",
    }
    assert record_failed_run(folder, entry)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page()
        for name in ("index.html", "equity.html"):
            page.goto((folder / name).as_uri())
            page.wait_for_load_state("load")
            banner = page.locator("#failed-run")
            assert banner.is_visible()
            text = banner.inner_text()
            assert "These pages are from the last good run" in text
            assert "1 December 2026, 09:30 UTC" in text and "<b>12 rows</b>" in text  # as text
        page.goto((hostile_org.settings.reports / "index.html").as_uri())
        page.wait_for_load_state("load")
        assert not page.locator("#failed-run").is_visible()
        browser.close()
