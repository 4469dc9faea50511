"""Plotly charts for the pages, in the Okabe–Ito colour-blind-safe palette.

Charts plot `Figure.number`, which is None for a hidden or missing figure, so a suppressed value
is never drawn. Text from data (program names, categories) is HTML-escaped before it reaches
plotly, which otherwise reads a few tags in labels. Each chart is embedded as JSON in a
`<script type="application/json">` block and drawn by static/report.js with the shared
plotly.min.js: no inline code runs on the pages.
"""

import html
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
from markupsafe import Markup
from plotly.subplots import make_subplots

from reports.figures import Estimate, Figure

OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
PARTICIPANT = OKABE_ITO["blue"]
COMPARISON = OKABE_ITO["orange"]
ADVISOR = OKABE_ITO["bluish_green"]
NAIVE = OKABE_ITO["sky_blue"]
ADJUSTED = OKABE_ITO["vermillion"]
BENCHMARK = OKABE_ITO["black"]
SERIES = [OKABE_ITO[c] for c in ("blue", "orange", "bluish_green", "vermillion", "sky_blue")]

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
GRID = "#e6e6e6"
LOG_AXIS = {
    "type": "log",
    "tickvals": [0.125, 0.25, 0.5, 1, 2, 4, 8],
    "ticktext": ["⅛", "¼", "½", "1", "2", "4", "8"],
}


def label(text: object) -> str:
    """Text from data, escaped for plotly's label markup."""
    return html.escape(str(text), quote=False)


def wrapped(text: object, width: int = 26, lines: int = 3) -> str:
    """An escaped label broken into at most `lines` lines of about `width` characters (the
    table beside the chart has the whole text)."""
    broken = textwrap.wrap(str(text), width, max_lines=lines, placeholder=" …") or [""]
    return "<br>".join(label(line) for line in broken)


def _translucent(colour: str, alpha: float = 0.18) -> str:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def _layout(figure: go.Figure, height: int = 360, **axes) -> go.Figure:
    figure.update_layout(
        template="none",
        height=height,
        font={"family": FONT, "size": 13, "color": "#1f2933"},
        margin={"l": 64, "r": 24, "t": 48, "b": 56},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        paper_bgcolor="white",
        plot_bgcolor="white",
        hoverlabel={"font": {"family": FONT}},
    )
    figure.update_xaxes(showgrid=True, gridcolor=GRID, zeroline=False, linecolor="#9aa5b1")
    figure.update_yaxes(showgrid=True, gridcolor=GRID, zeroline=False, linecolor="#9aa5b1")
    figure.update_layout(**axes)
    return figure


@dataclass(frozen=True)
class Curve:
    """A step curve with its 95% band: columns `months`, `value`, `low`, `high` (0–1)."""

    name: str
    colour: str
    points: pd.DataFrame


def step_chart(
    curves: Sequence[Curve],
    y_title: str,
    x_title: str = "Months since the first pairing (comparison: its trial month)",
) -> go.Figure:
    figure = go.Figure()
    for curve in curves:
        points = curve.points
        band = {
            "x": points["months"],
            "mode": "lines",
            "line": {"width": 0, "shape": "hv"},
            "hoverinfo": "skip",
        }
        figure.add_trace(
            go.Scatter(y=points["high"], showlegend=False, legendgroup=curve.name, **band)
        )
        figure.add_trace(
            go.Scatter(
                y=points["low"],
                fill="tonexty",
                fillcolor=_translucent(curve.colour),
                name=f"{label(curve.name)}: 95% band",
                showlegend=False,
                legendgroup=curve.name,
                **band,
            )
        )
        figure.add_trace(
            go.Scatter(
                x=points["months"],
                y=points["value"],
                mode="lines",
                name=label(curve.name),
                legendgroup=curve.name,
                line={"color": curve.colour, "width": 2.5, "shape": "hv"},
                hovertemplate="%{y:.1%} at %{x:.1f} months<extra>%{fullData.name}</extra>",
            )
        )
    return _layout(
        figure,
        xaxis={"title": {"text": x_title}, "rangemode": "tozero"},
        yaxis={"title": {"text": y_title}, "tickformat": ".0%"},
    )


@dataclass(frozen=True)
class ForestRow:
    label: str
    naive: Estimate | None
    adjusted: Estimate | None


def forest_chart(
    rows: Sequence[ForestRow], x_title: str, null: float, log_x: bool = False
) -> go.Figure:
    """Estimates with their intervals, naive and adjusted side by side, one line per row."""
    figure = go.Figure()
    rows = [r for r in rows if any(e is not None and e.shown for e in (r.naive, r.adjusted))]
    for method, colour, symbol, offset in (
        ("naive", NAIVE, "circle", 0.15),
        ("adjusted", ADJUSTED, "diamond", -0.15),
    ):
        shown_name = "raw comparison" if method == "naive" else method
        xs, ys, plus, minus, names = [], [], [], [], []
        for position, row in enumerate(rows):
            estimate = getattr(row, method)
            if estimate is None or not estimate.shown:
                continue
            value = estimate.value.number
            xs.append(value)
            ys.append(-position + offset)
            high = estimate.high.number if estimate.has_interval else value
            low = estimate.low.number if estimate.has_interval else value
            plus.append(high - value)
            minus.append(value - low)
            names.append(label(row.label))
        figure.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="markers",
                name=shown_name,
                marker={"color": colour, "symbol": symbol, "size": 10},
                error_x={
                    "type": "data",
                    "array": plus,
                    "arrayminus": minus,
                    "color": colour,
                    "thickness": 2,
                },
                customdata=names,
                hovertemplate="%{customdata}: %{x:.2f}<extra>" + shown_name + "</extra>",
            )
        )
    figure.add_vline(x=null, line={"color": "#52606d", "dash": "dash", "width": 1})
    return _layout(
        figure,
        height=max(220, 90 + 64 * len(rows)),
        margin={"l": 200, "r": 24, "t": 48, "b": 56},
        xaxis={"title": {"text": x_title}, **(LOG_AXIS if log_x else {})},
        yaxis={
            "tickvals": [-i for i in range(len(rows))],
            "ticktext": [wrapped(r.label, 24) for r in rows],
            "tickfont": {"size": 12},
            "showgrid": False,
            "range": [-len(rows) + 0.4, 0.6],
        },
    )


@dataclass(frozen=True)
class BarSeries:
    name: str
    colour: str
    values: Sequence[Estimate]


HIDDEN_COLOUR = "#7b8794"


def _share_range(values: Sequence[float], benchmark: float | None) -> list[float]:
    """An axis for shares that shows their differences: from 0 when any is near it, else
    from a little below the lowest, never past 0% or 100%."""
    points = [v for v in values if v is not None]
    if benchmark is not None:
        points.append(benchmark)
    if not points:
        return [0.0, 1.0]
    low, high = min(points), max(points)
    pad = max(0.02, 0.08 * (high - low))
    low = 0.0 if low < 0.25 else max(0.0, low - pad)
    return [low, min(1.0, high + pad)]


def bar_chart(
    categories: Sequence[str],
    series: Sequence[BarSeries],
    x_title: str,
    benchmark: tuple[str, float] | None = None,
) -> go.Figure:
    """Shares as dots with their 95% intervals, one row per category (a dot, not a bar, so the
    axis may start above 0% and show the differences). A hidden value is drawn as a grey
    "hidden" mark at the axis's left end, never as zero; a category with nothing at all to show
    is left out."""
    drawn = [
        i
        for i in range(len(categories))
        if any(s.values[i].shown or s.values[i].value.hidden for s in series)
    ]
    categories = [categories[i] for i in drawn]
    series = [BarSeries(s.name, s.colour, [s.values[i] for i in drawn]) for s in series]
    every = [
        f.number
        for s in series
        for e in s.values
        if e.shown
        for f in ((e.value, e.low, e.high) if e.has_interval else (e.value,))
    ]
    x_range = _share_range(every, benchmark[1] if benchmark else None)
    figure = go.Figure()
    count = max(1, len(series))
    offsets = [0.0] if count == 1 else [0.22 - 0.44 * j / (count - 1) for j in range(count)]
    hidden_y, hidden_text = [], []
    for j, item in enumerate(series):
        xs, ys, plus, minus = [], [], [], []
        for i, e in enumerate(item.values):
            y = -i + offsets[j]
            if e.shown:
                xs.append(e.value.number)
                ys.append(y)
                plus.append((e.high.number - e.value.number) if e.has_interval else 0)
                minus.append((e.value.number - e.low.number) if e.has_interval else 0)
            elif e.value.hidden:
                hidden_y.append(y)
                hidden_text.append(f"{label(item.name)}: {label(e.value.text)}")
        figure.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="markers",
                name=label(item.name),
                marker={"color": item.colour, "size": 10},
                error_x={
                    "type": "data",
                    "array": plus,
                    "arrayminus": minus,
                    "color": item.colour,
                    "thickness": 2,
                },
                hovertemplate="%{x:.1%}<extra>%{fullData.name}</extra>",
            )
        )
    if hidden_y:
        figure.add_trace(
            go.Scatter(
                x=[x_range[0]] * len(hidden_y),
                y=hidden_y,
                mode="markers+text",
                name="hidden (small group)",
                marker={"symbol": "square-open", "color": HIDDEN_COLOUR, "size": 9},
                text=["hidden"] * len(hidden_y),
                textposition="middle right",
                textfont={"color": HIDDEN_COLOUR, "size": 11},
                customdata=hidden_text,
                hovertemplate="%{customdata}<extra></extra>",
            )
        )
    if benchmark is not None:
        name, value = benchmark
        figure.add_vline(x=value, line={"color": BENCHMARK, "dash": "dash", "width": 1.5})
        # Anchored on the side away from the nearer edge, so the label is never cut off.
        middle = (x_range[0] + x_range[1]) / 2
        figure.add_annotation(
            x=value,
            y=1,
            yref="paper",
            text=label(name),
            showarrow=False,
            yanchor="bottom",
            xanchor="right" if value > middle else "left",
        )
    rows = len(categories)
    return _layout(
        figure,
        height=max(220, 110 + (22 + 14 * count) * rows),
        margin={"l": 24, "r": 24, "t": 56 if benchmark else 40, "b": 56},
        xaxis={"title": {"text": x_title}, "tickformat": ".0%", "range": x_range},
        yaxis={
            "tickvals": [-i for i in range(rows)],
            "ticktext": [wrapped(c, 28, 2) for c in categories],
            "range": [-rows + 0.4, 0.6],
            "showgrid": False,
            "automargin": True,
        },
    )


def likert_chart(
    categories: Sequence[str], parts: Sequence[tuple[str, str, Sequence[Figure]]]
) -> go.Figure:
    """100% stacked bars (favourable, neutral, unfavourable...). Hidden parts are drawn
    together as one grey "hidden" segment filling what the shown parts leave."""
    figure = go.Figure()
    shown_total = [0.0] * len(categories)
    for name, colour, values in parts:
        xs = [v.number for v in values]
        for i, x in enumerate(xs):
            shown_total[i] += x or 0.0
        figure.add_trace(
            go.Bar(
                y=[wrapped(c, 30, 2) for c in categories],
                x=xs,
                orientation="h",
                name=label(name),
                marker={"color": colour},
                text=[f"{x:.0%}" if x is not None and x >= 0.06 else "" for x in xs],
                textposition="inside",
                hovertemplate="%{y}: %{x:.0%}<extra>%{fullData.name}</extra>",
            )
        )
    hidden = [
        max(0.0, 1.0 - total) if any(values[i].hidden for _, _, values in parts) else None
        for i, total in enumerate(shown_total)
    ]
    if any(h is not None for h in hidden):
        figure.add_trace(
            go.Bar(
                y=[wrapped(c, 30, 2) for c in categories],
                x=hidden,
                orientation="h",
                name="hidden (small group)",
                marker={"color": "#e4e7eb", "pattern": {"shape": "/", "fgcolor": HIDDEN_COLOUR}},
                text=["hidden" if h is not None else "" for h in hidden],
                textposition="inside",
                hoverinfo="skip",
            )
        )
    return _layout(
        figure,
        height=max(220, 100 + 34 * len(categories)),
        barmode="stack",
        margin={"l": 24, "r": 24, "t": 40, "b": 56},
        xaxis={"tickformat": ".0%", "range": [0, 1], "title": {"text": "Share of respondents"}},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "traceorder": "normal"},
        yaxis={"autorange": "reversed", "showgrid": False, "automargin": True},
    )


def funnel_chart(stages: Sequence[str], counts: Sequence[Figure]) -> go.Figure:
    """Pairings at each stage; a hidden stage keeps its place and reads "hidden" (its bar is
    not drawn: a length would give the number away)."""
    values = [c.number if c.number is not None else 0 for c in counts]
    texts = [f"{c.number:,.0f}" if c.number is not None else f"hidden ({c.text})" for c in counts]
    colours = [
        SERIES[i % len(SERIES)] if c.number is not None else HIDDEN_COLOUR
        for i, c in enumerate(counts)
    ]
    figure = go.Figure(
        go.Funnel(
            y=[wrapped(s, 16) for s in stages],
            x=values,
            text=texts,
            textinfo="text",
            textposition=["inside" if c.number is not None else "outside" for c in counts],
            marker={"color": colours},
            connector={"fillcolor": "#eef2f6"},
            hovertemplate="%{y}: %{text}<extra></extra>",
        )
    )
    return _layout(
        figure,
        height=max(200, 70 + 52 * len(stages)),
        margin={"l": 24, "r": 24, "t": 16, "b": 24},
        yaxis={"showgrid": False, "automargin": True},
        xaxis={"showgrid": False, "showticklabels": False},
    )


@dataclass(frozen=True)
class BeforeAfter:
    """One measure: each group's mean at baseline and at follow-up, with their intervals."""

    title: str
    groups: Sequence[tuple[str, str, Estimate, Estimate]]  # name, colour, baseline, follow-up
    tickformat: str = ".2f"
    scale: tuple[float, float] | None = None  # the measure's whole scale, so no axis is cut


def _interval_bars(estimates: Sequence[Estimate]) -> dict:
    """Error bars from each estimate's 95% interval; none where an interval is not shown."""
    above, below = [], []
    for estimate in estimates:
        value = estimate.value.number
        shown = estimate.has_interval and value is not None
        above.append(estimate.high.number - value if shown else None)
        below.append(value - estimate.low.number if shown else None)
    return {"type": "data", "symmetric": False, "array": above, "arrayminus": below, "width": 4}


def before_after_chart(panels: Sequence[BeforeAfter]) -> go.Figure:
    figure = make_subplots(
        rows=1, cols=len(panels), subplot_titles=[label(p.title) for p in panels]
    )
    for column, panel in enumerate(panels, start=1):
        for name, colour, before, after in panel.groups:
            if before.value.number is None or after.value.number is None:
                continue
            figure.add_trace(
                go.Scatter(
                    x=["Before", "After"],
                    y=[before.value.number, after.value.number],
                    error_y=_interval_bars([before, after]),
                    name=label(name),
                    legendgroup=name,
                    showlegend=column == 1,
                    mode="lines+markers",
                    line={"color": colour, "width": 2.5},
                    marker={"size": 9},
                    hovertemplate="%{x}: %{y:"
                    + panel.tickformat
                    + "}<extra>%{fullData.name}</extra>",
                ),
                row=1,
                col=column,
            )
        figure.update_yaxes(
            tickformat=panel.tickformat,
            range=list(panel.scale) if panel.scale else None,
            row=1,
            col=column,
        )
    return _layout(
        figure,
        height=360,
        margin={"l": 56, "r": 24, "t": 84, "b": 40},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.14, "x": 0},
    )


def stacked_bar_chart(
    categories: Sequence[str], series: Sequence[tuple[str, str, Sequence[Figure]]], x_title: str
) -> go.Figure:
    figure = go.Figure()
    for name, colour, values in series:
        figure.add_trace(
            go.Bar(
                y=[label(c) for c in categories],
                x=[v.number for v in values],
                orientation="h",
                name=label(name),
                marker={"color": colour},
                hovertemplate="%{y}: %{x:,}<extra>%{fullData.name}</extra>",
            )
        )
    return _layout(
        figure,
        height=max(200, 90 + 34 * len(categories)),
        barmode="stack",
        margin={"l": 120, "r": 24, "t": 16, "b": 56},
        xaxis={"title": {"text": x_title}, "rangemode": "tozero"},
        yaxis={"autorange": "reversed", "showgrid": False},
    )


def embed(chart_id: str, figure: go.Figure, description: str) -> Markup:
    """The chart's container and its JSON; `</` and friends cannot close the script block."""
    spec = (
        figure.to_json()
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )
    return Markup(
        '<div class="chart" id="{id}" data-chart="{id}-spec" role="img" aria-label="{label}"></div>'
        '<script type="application/json" id="{id}-spec">{spec}</script>'
    ).format(id=chart_id, label=description, spec=Markup(spec))
