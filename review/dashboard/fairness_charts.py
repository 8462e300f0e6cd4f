"""Rates with their intervals as inline SVG: a dot per bucket, a whisker for its 95% interval."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString

from .charts import _svg, _text

WARNING_COLOUR = "#D55E00"
DOT_COLOUR = "#0072B2"


def rate_intervals(
    rows: list[tuple[str, float | None, tuple[float | None, float | None], bool]], *, label: str
) -> SafeString:
    """One line per (bucket, rate, (low, high), warned): the rate as a dot on a 0-100 % axis,
    its interval as a whisker; warned buckets in vermilion with a "!" beside the name."""
    left, width, line_h = 230, 900, 24
    plot_w = width - left - 40
    height = 30 + line_h * max(len(rows), 1)
    body = [
        _text(left, 14, "0 %", anchor="middle", size=10),
        _text(left + plot_w / 2, 14, "50 %", anchor="middle", size=10),
        _text(left + plot_w, 14, "100 %", anchor="middle", size=10),
        f'<line x1="{left}" y1="20" x2="{left}" y2="{height}" stroke="#ccc"/>',
        f'<line x1="{left + plot_w / 2:.1f}" y1="20" x2="{left + plot_w / 2:.1f}" '
        f'y2="{height}" stroke="#eee"/>',
    ]
    for index, (name, rate, (low, high), warned) in enumerate(rows):
        y = 30 + index * line_h + line_h / 2
        colour = WARNING_COLOUR if warned else DOT_COLOUR
        body.append(_text(left - 8, y + 4, (("! " if warned else "") + name)[:36], anchor="end"))
        if rate is None:
            body.append(_text(left + 6, y + 4, "no data", size=10))
            continue
        if low is not None and high is not None:
            body.append(
                f'<line x1="{left + low * plot_w:.1f}" y1="{y:.1f}" '
                f'x2="{left + high * plot_w:.1f}" y2="{y:.1f}" stroke="{colour}" '
                f'stroke-width="2"/>'
            )
        interval = "" if low is None else f" (95% interval {low:.0%}-{high:.0%})"
        body.append(
            f'<circle cx="{left + rate * plot_w:.1f}" cy="{y:.1f}" r="5" fill="{colour}">'
            f"<title>{escape(name)}: {rate:.0%}{escape(interval)}</title></circle>"
        )
    return _svg(width, height, body, label)
