"""The report's pages, in navigation order: each module's `build` returns its template's data."""

from collections.abc import Callable
from dataclasses import dataclass

from reports.context import ReportContext
from reports.pages import (
    advancement,
    data_quality,
    equity,
    fairness,
    health,
    index,
    methodology,
    retention,
    wellbeing,
)


@dataclass(frozen=True)
class Page:
    file: str
    title: str
    template: str
    build: Callable[[ReportContext], dict]
    question: str


PAGES = (
    Page("index.html", "Overview", "index.html", index.build, "Do our programs work?"),
    Page(
        "program-health.html",
        "Program health",
        "health.html",
        health.build,
        "Are pairs meeting, completing milestones and earning certificates?",
    ),
    Page(
        "retention.html",
        "Retention",
        "retention.html",
        retention.build,
        "Do participants stay longer than comparable colleagues?",
    ),
    Page(
        "advancement.html",
        "Advancement",
        "advancement.html",
        advancement.build,
        "Are they promoted sooner, and do mentees go on to find a sponsor?",
    ),
    Page(
        "wellbeing.html",
        "Wellbeing",
        "wellbeing.html",
        wellbeing.build,
        "Do they grow less lonely and more engaged?",
    ),
    Page(
        "equity.html",
        "Equity",
        "equity.html",
        equity.build,
        "Who gets a sponsor, who takes part, and do programs work alike for every group?",
    ),
    Page(
        "fairness.html",
        "Is the comparison fair?",
        "fairness.html",
        fairness.build,
        "Were participants and their comparison group alike before the program?",
    ),
    Page(
        "data-quality.html",
        "Data quality",
        "data_quality.html",
        data_quality.build,
        "Which files were loaded, and which rows were set aside and why?",
    ),
    Page(
        "methodology.html",
        "Methodology",
        "methodology.html",
        methodology.build,
        "How is each figure made, and what can it not tell?",
    ),
)
