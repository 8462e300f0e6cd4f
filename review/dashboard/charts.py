"""Charts as inline SVG, drawn on the server: no chart library, no CDN, readable without JS.

Every chart carries a <title> per mark (hover text) and a text table is shown beside it by
the templates, so nothing is told by colour alone.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Colour-blind-safe palette (Okabe-Ito), cycled for series.
PALETTE = [
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#F0E442",
    "#000000",
    "#882255",
    "#44AA99",
    "#999933",
    "#AA4499",
]
SEVERITY_COLOURS = {"high": "#D55E00", "medium": "#E69F00", "low": "#56B4E9", "": "#999999"}
LEVEL_COLOURS = {"high": "#D55E00", "medium": "#E69F00", "low": "#009E73", "": "#BBBBBB"}
VERDICT_COLOURS = {
    "confirmed": "#D55E00",
    "dismissed": "#009E73",
    "needs_second_review": "#E69F00",
    "unreviewed": "#BBBBBB",
}


def _svg(width: int, height: int, body: list[str], label: str) -> SafeString:
    return mark_safe(  # noqa: S308 - every text below went through escape()
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'aria-label="{escape(label)}" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet">{"".join(body)}</svg>'
    )


def _text(x: float, y: float, text: str, *, anchor: str = "start", size: int = 11) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}">'
        f"{escape(text)}</text>"
    )


def incident_rows(timeline: Any) -> dict[int, int]:
    """A row in its lane for each incident (by ``id(entry)``): overlapping ones sit apart.

    Higher severity first (then the longer), each in the first row where it overlaps nothing:
    a long high-severity incident keeps the top row and is never hidden under a short low one.
    """
    order = {"high": 0, "medium": 1, "low": 2}
    incidents = sorted(
        (e for e in timeline.entries if e.kind == "incident"),
        key=lambda e: (
            order.get(e.severity, 3),
            -((e.end or timeline.end) - e.at).total_seconds(),
            e.at,
        ),
    )
    placed: dict[tuple[str, int], list[tuple[datetime, datetime]]] = {}
    rows: dict[int, int] = {}
    for entry in incidents:
        start, end = entry.at, entry.end or timeline.end
        row = 0
        while any(
            start < other_end and other_start < end
            for other_start, other_end in placed.get((entry.lane, row), [])
        ):
            row += 1
        placed.setdefault((entry.lane, row), []).append((start, end))
        rows[id(entry)] = row
    return rows


def timeline_strip(timeline: Any) -> SafeString:
    """The session on one time axis: a lane per source, incidents as spans, events as ticks."""
    left, width, lane_h = 120, 1000, 26
    lanes = [lane for lane, _ in timeline.lanes()]
    rows = incident_rows(timeline)
    # A source lane is as tall as its deepest stack of overlapping incidents.
    depth = {
        lane: 1
        + max(
            (rows[id(e)] for e in timeline.entries if id(e) in rows and e.lane == lane), default=0
        )
        for lane in lanes
    }
    tops = {}
    y_next = 10
    for lane in lanes:
        tops[lane] = y_next
        y_next += lane_h * depth[lane]
    height = 20 + y_next
    span = max((timeline.end - timeline.start).total_seconds(), 1.0)

    def x_of(at: datetime) -> float:
        return left + (at - timeline.start).total_seconds() / span * (width - left - 10)

    body = []
    for index, (lane, label) in enumerate(timeline.lanes()):
        y = tops[lane]
        fill = "#f4f4f4" if index % 2 == 0 else "#ffffff"
        lane_height = lane_h * depth[lane]
        body.append(f'<rect x="0" y="{y}" width="{width}" height="{lane_height}" fill="{fill}"/>')
        body.append(_text(6, y + 17, label))
    for step in range(6):
        at_s = span * step / 5
        x = left + at_s / span * (width - left - 10)
        y_axis = y_next
        body.append(f'<line x1="{x:.1f}" y1="10" x2="{x:.1f}" y2="{y_axis}" stroke="#ddd"/>')
        body.append(_text(x, y_axis + 14, _duration_label(at_s), anchor="middle", size=10))
    # Incidents last, longest first, so a short one is never drawn under a long one.
    entries = [e for e in timeline.entries if e.kind != "incident"] + sorted(
        (e for e in timeline.entries if e.kind == "incident"),
        key=lambda e: -((e.end or timeline.end) - e.at).total_seconds(),
    )
    for entry in entries:
        y = tops[entry.lane] + lane_h * rows.get(id(entry), 0)
        x = x_of(entry.at)
        title = f"<title>{escape(entry.at.strftime('%H:%M:%S'))} {escape(entry.title)}</title>"
        href = f"#{escape(entry.anchor)}"
        if entry.kind == "incident":
            end = entry.end or timeline.end
            w = max(x_of(end) - x, 4)
            colour = SEVERITY_COLOURS.get(entry.severity, "#999")
            dash = "" if entry.end else ' stroke-dasharray="3 2" stroke="#333"'
            body.append(
                f'<a href="{href}" class="mark mark-incident"><rect x="{x:.1f}" y="{y + 5}" '
                f'width="{w:.1f}" height="{lane_h - 10}" rx="2" fill="{colour}"'
                f' fill-opacity="0.85"{dash}>{title}</rect></a>'
            )
        elif entry.kind == "heartbeats":
            w = max(x_of(entry.end) - x, 2)
            body.append(
                f'<a href="{href}" class="mark"><rect x="{x:.1f}" y="{y + lane_h / 2 - 1.5:.1f}" '
                f'width="{w:.1f}" height="3" fill="#999">{title}</rect></a>'
            )
        elif entry.kind == "submission":
            cy = y + lane_h / 2
            body.append(
                f'<a href="{href}" class="mark"><path d="M{x:.1f} {cy - 7} l7 7 l-7 7 l-7 -7 z" '
                f'fill="#0072B2">{title}</path></a>'
            )
        elif entry.kind in {"status", "action"}:
            colour = "#D55E00" if entry.severity == "high" else "#333"
            body.append(
                f'<a href="{href}" class="mark"><rect x="{x - 1.5:.1f}" y="{y + 3}" width="3" '
                f'height="{lane_h - 6}" fill="{colour}">{title}</rect></a>'
            )
        else:
            body.append(
                f'<a href="{href}" class="mark"><line x1="{x:.1f}" y1="{y + 7}" x2="{x:.1f}" '
                f'y2="{y + lane_h - 7}" stroke="#555" stroke-width="1.5">{title}</line></a>'
            )
    return _svg(width, height + 20, body, "Session timeline")


def _duration_label(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 3600:
        return f"{seconds // 60}:{seconds % 60:02d}"
    return f"{seconds // 3600}h{(seconds % 3600) // 60:02d}"


def stacked_columns(
    days: list[date], series: dict[str, list[int]], labels: dict[str, str]
) -> SafeString:
    """Columns per day, stacked by series (incidents per kind over time)."""
    left, width, height, top, bottom = 40, 900, 240, 10, 22
    plot_h = height - top - bottom
    totals = [sum(values[i] for values in series.values()) for i in range(len(days))]
    peak = max(totals or [0]) or 1
    col_w = (width - left - 10) / max(len(days), 1)
    body = [
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width}" y2="{top + plot_h}" stroke="#999"/>',
        _text(left - 4, top + 8, str(peak), anchor="end", size=10),
        _text(left - 4, top + plot_h, "0", anchor="end", size=10),
    ]
    colours = {key: PALETTE[i % len(PALETTE)] for i, key in enumerate(series)}
    for i, day in enumerate(days):
        x = left + i * col_w + 1
        y = top + plot_h
        for key, values in series.items():
            if not values[i]:
                continue
            h = values[i] / peak * plot_h
            y -= h
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(col_w - 2, 1):.1f}" height="{h:.1f}" '
                f'fill="{colours[key]}"><title>{escape(day.isoformat())}: '
                f"{escape(labels.get(key, key))} {values[i]}</title></rect>"
            )
        if len(days) <= 15 or i % max(len(days) // 10, 1) == 0:
            body.append(
                _text(
                    x + col_w / 2, top + plot_h + 14, day.strftime("%m-%d"), anchor="middle", size=9
                )
            )
    legend, legend_h = _legend(
        [(colours[key], labels.get(key, key)) for key in series], left, height, width
    )
    body.extend(legend)
    return _svg(width, height + legend_h, body, "Incidents per kind over time")


def stacked_bars(
    rows: list[tuple[str, dict[str, int]]],
    order: list[str],
    colours: dict[str, str],
    labels: dict[str, str],
    *,
    share: bool,
    label: str,
) -> SafeString:
    """Horizontal bars, one per row, stacked in ``order`` (as shares of 100 % if ``share``)."""
    left, width, bar_h, gap = 200, 900, 20, 8
    height = 10 + len(rows) * (bar_h + gap)
    peak = max((sum(values.values()) for _name, values in rows), default=0) or 1
    plot_w = width - left - 60
    body = []
    for index, (name, values) in enumerate(rows):
        y = 10 + index * (bar_h + gap)
        total = sum(values.values())
        body.append(_text(left - 6, y + 14, name[:32], anchor="end"))
        x = float(left)
        scale = (plot_w / total if total else 0) if share else plot_w / peak
        for key in order:
            n = values.get(key, 0)
            if not n:
                continue
            w = n * scale
            pct = f" ({n / total:.0%})" if total else ""
            body.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                f'fill="{colours.get(key, "#999")}"><title>{escape(name)}: '
                f"{escape(labels.get(key, key))} {n}{pct}</title></rect>"
            )
            x += w
        body.append(_text(x + 6, y + 14, str(total), size=10))
    legend, legend_h = _legend(
        [(colours.get(key, "#999"), labels.get(key, key)) for key in order], left, height, width
    )
    body.extend(legend)
    return _svg(width, height + legend_h, body, label)


def _legend(items: list[tuple[str, str]], left: int, top: int, width: int) -> tuple[list[str], int]:
    """Legend swatches from ``top`` down, wrapped to ``width``; returns (marks, height used)."""
    body, x, y = [], left, top + 4
    for colour, label in items:
        step = 24 + 6 * len(label)
        if x + step > width and x > left:
            x, y = left, y + 16
        body.append(f'<rect x="{x}" y="{y}" width="10" height="10" fill="{colour}"/>')
        body.append(_text(x + 14, y + 9, label, size=10))
        x += step
    return body, y + 16 - top
