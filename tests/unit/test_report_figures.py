"""Figures on the pages: formatting, machine-readable attributes, hiding and escaping."""

import json
import math
import re
from datetime import date

from markupsafe import Markup

from reports.figures import COUNT, PERCENT, POINTS, RATIO, Figure, Row, format_value, plain
from reports.suppression import COMPLEMENTARY, SMALL, Suppression

FIVE = Suppression(5)
KEY = ("program_id", "arm")


def attributes(html: str) -> dict[str, str]:
    found = dict(re.findall(r'([\w-]+)="([^"]*)"', html))
    return {name: Markup(value).unescape() for name, value in found.items()}


def test_units_format_for_people():
    assert format_value(0.9189, PERCENT) == "92%"
    assert format_value(0.042, PERCENT) == "4.2%"
    assert format_value(-5.497, POINTS) == "\u22125.5"
    assert format_value(0.7293, RATIO) == "0.73"
    assert format_value(1414, COUNT) == "1,414"


def test_plain_turns_missing_values_into_none():
    assert plain(float("nan")) is None
    assert plain(None) is None
    assert plain(3) == 3


def test_a_shown_figure_carries_its_source_row_and_unrounded_value():
    row = Row(
        "marts.program_outcomes",
        {"program_id": "P1", "arm": "participant", "n": 212, "retention_12m": 0.918927},
        KEY,
        FIVE,
    )
    html = str(Markup("{}").format(row.figure("retention_12m", PERCENT, "n")))
    found = attributes(html)
    assert found["data-source"] == "marts.program_outcomes"
    assert found["data-column"] == "retention_12m"
    assert json.loads(found["data-key"]) == {"program_id": "P1", "arm": "participant"}
    assert math.isclose(float(found["data-value"]), 0.918927)
    assert found["data-n-column"] == "n"
    assert html.endswith(">92%</span>")


def test_a_small_group_shows_neither_its_value_nor_its_size():
    row = Row(
        "marts.program_outcomes",
        {"program_id": "P1", "arm": "participant", "n": 3, "retention_12m": 0.666},
        KEY,
        FIVE,
        hidden=FIVE.cell(3),
    )
    for figure in (row.figure("retention_12m", PERCENT, "n"), row.count("n")):
        html = str(Markup("{}").format(figure))
        assert figure.number is None
        assert "fewer than 5" in html
        assert "data-value" not in html and "0.666" not in html and ">3<" not in html
        assert attributes(html)["data-hidden"] == SMALL


def test_a_complementary_cell_reads_hidden():
    figure = Figure(None, COUNT, "t", "n", (("a", "b"),), "n", COMPLEMENTARY, 5)
    assert figure.text == "hidden"


def test_a_figure_is_hidden_by_its_own_population():
    row = Row(
        "marts.program_health",
        {
            "program_id": "P1",
            "arm": "x",
            "activation_rate": 0.5,
            "activation_rate_n": 4,
            "activation_rate_ci_low": 0.1,
            "activation_rate_ci_high": 0.9,
        },
        KEY,
        FIVE,
    )
    share = row.share("activation_rate")
    assert not share.shown and share.low.number is None and share.high.number is None


def test_text_from_data_in_a_key_is_escaped():
    hostile = '"><img src=x onerror=alert(1)>'
    figure = Figure(1.0, RATIO, "t", "c", (("program_id", hostile),), "n")
    html = str(Markup("{}").format(figure))
    assert "<img" not in html
    assert json.loads(attributes(html)["data-key"]) == {"program_id": hostile}


def test_dates_are_written_for_people_and_machines():
    figure = Figure(date(2026, 10, 31), "date", "marts.run_info", "as_of")
    html = str(Markup("{}").format(figure))
    assert ">31 October 2026<" in html and 'data-value="2026-10-31"' in html


def test_a_share_of_meetings_at_exactly_none_or_all_is_hidden_with_its_interval():
    from reports.figures import Row
    from reports.suppression import FEW_WITH, FEW_WITHOUT, Suppression

    values = {"p": "P1", "rate": 0.0, "rate_ci_low": 0.0, "rate_ci_high": 0.02, "pairings": 40}
    none = Row("t", values, ("p",), Suppression(5)).share("rate", n_column="pairings")
    assert none.value.hidden == FEW_WITH and none.high.hidden == FEW_WITH
    assert none.value.text == "hidden: fewer than 5 did"
    every = Row("t", values | {"rate": 1.0}, ("p",), Suppression(5)).share("rate", "pairings")
    assert every.value.hidden == FEW_WITHOUT
    some = Row("t", values | {"rate": 0.3}, ("p",), Suppression(5)).share("rate", "pairings")
    assert some.shown
