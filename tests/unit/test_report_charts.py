"""Charts: suppressed values are never plotted, labels from data are inert, JSON is safe."""

import json
import re

import duckdb
import numpy as np
import pandas as pd
import pytest

from reports.charts import (
    COMPARISON,
    OKABE_ITO,
    PARTICIPANT,
    BarSeries,
    BeforeAfter,
    Curve,
    ForestRow,
    bar_chart,
    before_after_chart,
    embed,
    forest_chart,
    funnel_chart,
    step_chart,
)
from reports.curves import follow_up_counts, group_curve
from reports.figures import COUNT, PERCENT, RATIO, SCORE, Estimate, Figure
from reports.reader import Reader
from reports.suppression import SMALL, Suppression

HOSTILE = "</script><script>window.__xss=1</script><img src=x onerror=alert(1)>"


def estimate(value, low, high, unit=PERCENT, hidden=None):
    def figure(v):
        return Figure(None if hidden else v, unit, hidden=hidden, k=5)

    return Estimate(figure(value), figure(low), figure(high))


def test_a_hidden_share_is_drawn_as_hidden_not_as_zero():
    figure = bar_chart(
        ["Women", "Non-binary", "Nobody"],
        [
            BarSeries(
                "Sponsor now",
                OKABE_ITO["blue"],
                [
                    estimate(0.1, 0.05, 0.2),
                    estimate(0.5, 0.1, 0.9, hidden=SMALL),
                    estimate(None, None, None),
                ],
            )
        ],
        "Share",
    )
    dots, hidden = figure.data
    assert list(dots.x) == [0.1]
    assert list(hidden.text) == ["hidden"] and 0.5 not in list(hidden.x)
    assert len(figure.layout.yaxis.ticktext) == 2  # a category with nothing at all is left out


def test_shares_far_from_zero_get_an_axis_that_shows_their_differences():
    figure = bar_chart(
        ["A", "B"],
        [
            BarSeries(
                "Retention",
                OKABE_ITO["blue"],
                [estimate(0.8, 0.77, 0.83), estimate(0.95, 0.9, 1.0)],
            )
        ],
        "Share",
    )
    assert 0.6 < figure.layout.xaxis.range[0] < 0.77


def test_a_hidden_funnel_stage_keeps_its_place_and_reads_hidden():
    counts = [Figure(40, COUNT), Figure(None, COUNT, hidden=SMALL, k=5), Figure(30, COUNT)]
    funnel = funnel_chart(["Matched", "Met", "Certificate"], counts).data[0]
    assert list(funnel.x) == [40, 0, 30]
    assert "Met" in list(funnel.y) and funnel.text[1].startswith("hidden")


def test_a_hidden_estimate_is_left_out_of_a_forest_plot():
    rows = [
        ForestRow("A", estimate(0.8, 0.6, 1.1, RATIO), estimate(0.9, 0.7, 1.2, RATIO)),
        ForestRow("Small", estimate(0.1, 0.01, 9, RATIO, SMALL), None),
    ]
    figure = forest_chart(rows, "Hazard ratio", null=1.0, log_x=True)
    plotted = [x for trace in figure.data for x in trace.x]
    assert sorted(plotted) == [0.8, 0.9]


def test_curves_use_the_colour_blind_safe_palette():
    points = pd.DataFrame({"months": [0, 1], "value": [1, 0.9], "low": [1, 0.8], "high": [1, 0.95]})
    figure = step_chart([Curve("Mentees", OKABE_ITO["blue"], points)], "Retention")
    colours = {t.line.color for t in figure.data if t.line.color}
    assert colours <= set(OKABE_ITO.values())


def test_labels_from_data_are_escaped_for_plotly():
    figure = bar_chart(
        [HOSTILE], [BarSeries(HOSTILE, OKABE_ITO["blue"], [estimate(0.1, 0, 0.2)])], "x"
    )
    assert "<script>" not in figure.data[0].name and "&lt;script&gt;" in figure.data[0].name


def test_embedded_json_cannot_close_its_script_block():
    figure = bar_chart([HOSTILE], [BarSeries("s", OKABE_ITO["blue"], [estimate(0.1, 0, 0.2)])], "x")
    html = str(embed("chart-1", figure, HOSTILE))
    spec = re.search(r'<script type="application/json" id="chart-1-spec">(.*)</script>', html, re.S)
    assert spec is not None
    assert "<" not in spec.group(1)  # so no `</script>` inside
    layout = json.loads(spec.group(1))["layout"]
    assert HOSTILE not in spec.group(1)
    assert layout["yaxis"]["ticktext"][0].startswith("&lt;/script&gt;")
    assert html.count("<script") == 1


def counted(days, event) -> pd.DataFrame:
    """One group's follow-up as `follow_up_counts` gives it: people per day and event."""
    people = pd.DataFrame({"days": days, "event": event})
    return people.value_counts(dropna=False).rename("people").reset_index()


def test_a_curve_stops_where_fewer_than_k_are_still_followed():
    curve = group_curve(counted(range(10, 310, 10), [1, 0] * 15), Suppression(5))
    assert curve is not None and curve["n_at_risk"].min() >= 5
    assert curve["months"].max() < 300 / 30.4375


def test_no_curve_for_a_group_with_fewer_than_k_events_or_people():
    few_events = counted(range(10, 310, 10), [1] * 3 + [0] * 27)
    assert group_curve(few_events, Suppression(5)) is None
    few_people = counted([10, 20, 30, 40], [0, 0, 0, 0])
    assert group_curve(few_people, Suppression(5)) is None
    # A curve with no event at all stays at 100%: it tells that every member stayed.
    no_events = counted(range(10, 110, 10), [0] * 10)
    assert group_curve(no_events, Suppression(5)) is None
    enough_events = counted(range(10, 310, 10), [1] * 5 + [0] * 25)
    assert group_curve(enough_events, Suppression(5)) is not None


def test_curves_come_from_the_cohort_counted_by_day_and_event():
    con = duckdb.connect(":memory:")
    con.execute("CREATE SCHEMA marts")
    con.execute(
        "CREATE TABLE marts.study_cohort AS SELECT 'P1' AS program_id, 'mentor' AS "
        "relationship_type, CASE WHEN i % 3 = 0 THEN 'advisor' WHEN i % 3 = 1 THEN "
        "'participant' ELSE 'comparison' END AS arm, 10 * (i % 7) AS exit_days, "
        "i % 2 AS exit_event, 1.0 AS sampling_weight FROM range(300) t(i)"
    )
    follow_up = follow_up_counts(Reader(con), "exit_days", "exit_event")
    assert set(follow_up["arm"]) == {"participant", "comparison"}
    assert follow_up["people"].sum() == 200
    people = con.execute(
        "SELECT exit_days, exit_event FROM marts.study_cohort WHERE arm = 'participant'"
    ).df()
    participants = follow_up.loc[follow_up["arm"] == "participant"]
    pd.testing.assert_frame_equal(
        group_curve(participants, Suppression(5)),
        group_curve(counted(people["exit_days"], people["exit_event"]), Suppression(5)),
    )
    assert follow_up_counts(Reader(duckdb.connect(":memory:")), "exit_days", "exit_event") is None


def test_a_sampled_comparison_curve_counts_each_person_their_weight():
    """A comparison person drawn with weight 3 shapes the curve as three people would, and
    counts once at risk."""
    days = pd.Series([10.0, 20.0, 30.0, 40.0, 50.0, 60.0] * 3)
    events = pd.Series([1, 0, 1, 0, 1, 0] * 3)
    weight = pd.Series([3.0] * 6 + [1.0] * 12)
    sampled = pd.DataFrame({"days": days, "event": events, "weight": weight, "people": 1})
    copies = sampled.loc[sampled.index.repeat(sampled["weight"].astype(int))]
    expanded = copies.assign(weight=1.0)
    weighted = group_curve(sampled, Suppression(1))
    full = group_curve(expanded, Suppression(1))
    assert np.allclose(weighted["value"], full["value"])
    assert weighted["n_at_risk"].iloc[0] == len(sampled)
    assert full["n_at_risk"].iloc[0] == len(expanded)


def test_before_after_means_carry_their_intervals_and_a_hidden_one_draws_nothing():
    shown = BeforeAfter(
        "Loneliness",
        [
            (
                "Mentees",
                PARTICIPANT,
                estimate(5.0, 4.5, 5.6, SCORE),
                estimate(4.2, 3.9, 4.4, SCORE),
            ),
            (
                "Colleagues",
                COMPARISON,
                estimate(5.0, 4.8, 5.2, SCORE, hidden="fewer than 5"),
                estimate(4.9, 4.7, 5.1, SCORE),
            ),
        ],
        scale=(3, 9),
    )
    (trace,) = before_after_chart([shown]).data
    assert list(trace.y) == [5.0, 4.2]
    assert trace.error_y.array == pytest.approx((0.6, 0.2))
    assert trace.error_y.arrayminus == pytest.approx((0.5, 0.3))
