"""Every page printed to A4 and Letter in Chromium: nothing wider than the page, no table
scrolled, no chart label outside its chart.

The page is laid out as Chromium prints it (print media, the paper's printable width at the
margins of print.css, the charts redrawn by the page's own `beforeprint` handler), checked, and
then printed to PDF with the same paper.
"""

import pytest

from reports.pages import PAGES
from tests.browser.hostile import CHROMIUM

pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is needed")

MM = 96 / 25.4
MARGIN = {"top": "14mm", "bottom": "14mm", "left": "12mm", "right": "12mm"}
# Printable width in CSS pixels: the paper's width less 12 mm each side.
PAPERS = {"A4": round((210 - 24) * MM), "Letter": round((215.9 - 24) * MM)}
CHARTS_DRAWN = """() => [...document.querySelectorAll('[data-chart]')]
    .every(chart => chart.querySelector('svg.main-svg') !== null)"""
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (typeof el.className === 'string' && el.className ? '.' + el.className.split(' ')[0] : '') +
    ' "' + (el.textContent || '').trim().slice(0, 40) + '"';
  const problems = [];
  if (document.documentElement.scrollWidth > width + 1) {
    problems.push('page is ' + document.documentElement.scrollWidth + 'px wide, paper ' + width);
  }
  for (const el of document.querySelectorAll('main *, header *, footer *, .status *')) {
    if (el.closest('svg')) continue;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (r.right > width + 1 || r.left < -1) problems.push('outside the paper: ' + name(el));
    if (['auto', 'scroll', 'hidden'].includes(style.overflowX) &&
        el.scrollWidth > el.clientWidth + 1) problems.push('scrolls or clips: ' + name(el));
  }
  for (const svg of document.querySelectorAll('[data-chart] svg.main-svg')) {
    const box = svg.getBoundingClientRect();
    if (box.right > width + 1) problems.push('chart wider than the paper');
    for (const text of svg.querySelectorAll('text')) {
      const r = text.getBoundingClientRect();
      if (r.width === 0 || !text.textContent.trim()) continue;
      if (r.left < box.left - 2 || r.right > box.right + 2 || r.top < box.top - 2 ||
          r.bottom > box.bottom + 2) problems.push('chart label cut off: ' + text.textContent);
    }
  }
  return [...new Set(problems)];
}"""


@pytest.fixture(scope="module")
def printed(hostile_org, tmp_path_factory) -> dict:
    """(paper, page) → (overflow problems, PDF bytes)."""
    out = tmp_path_factory.mktemp("pdf")
    found = {}
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        folder = hostile_org.settings.reports
        names = [p.file for p in PAGES] + sorted(p.name for p in folder.glob("program-*.html"))
        for paper, width in PAPERS.items():
            context = browser.new_context(offline=True, viewport={"width": width, "height": 1000})
            for name in names:
                page = context.new_page()
                page.goto((folder / name).as_uri())
                page.wait_for_load_state("load")
                page.wait_for_function(CHARTS_DRAWN, timeout=15_000)
                page.emulate_media(media="print")
                page.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")
                page.wait_for_timeout(200)
                problems = page.evaluate(OVERFLOW)
                pdf = out / f"{paper}-{name}.pdf"
                page.pdf(path=str(pdf), format=paper, margin=MARGIN, print_background=True)
                found[(paper, name)] = (problems, pdf.read_bytes())
                page.close()
            context.close()
        browser.close()
    return found


def test_nothing_overflows_a_printed_page(printed):
    problems = {key: found for key, (found, _) in printed.items() if found}
    assert problems == {}


def test_every_page_prints_to_a4_and_letter(printed):
    assert any(name.startswith("program-") for _, name in printed)
    for (paper, name), (_, pdf) in printed.items():
        assert pdf.startswith(b"%PDF") and len(pdf) > 5_000, (paper, name)


def test_the_downloads_open_and_carry_no_live_formula(hostile_org):
    import csv

    import openpyxl

    from tests.browser.hostile import FORMULA_DEPARTMENT

    folder = hostile_org.settings.reports / "downloads"
    texts = []
    for path in sorted(folder.glob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
        texts += [cell for row in rows for cell in row]
    assert texts and not any(t.startswith(("=", "+", "-", "@", "\t", "\r")) for t in texts)
    workbook = openpyxl.load_workbook(folder / "mentorlens-tables.xlsx")
    cells = [c for sheet in workbook for row in sheet.iter_rows() for c in row]
    assert cells and not any(c.data_type == "f" for c in cells)
    values = {c.value for c in cells}
    if any(FORMULA_DEPARTMENT in t for t in texts):  # the department is large enough to show
        assert "'" + FORMULA_DEPARTMENT in values
