# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The case report's pictures, drawn as inline SVG: no script, nothing loaded from elsewhere, printable.

A timeline of the response per instance (one lane per stage on a time axis, a
dot per call, failed calls and failed stages in red) and the instance before
and after (groups per interface, Auto Scaling group, load balancers, protections).
Each function returns (svg markup, text alternative): the Markdown report and
screen readers get the text.
"""

import html
from datetime import datetime

_WIDTH = 1000
_LANE = 40
_LEFT = 170
_RIGHT = 150
_OK, _FAILED, _MUTED, _INK = "#2e5c8a", "#b71c1c", "#9e9e9e", "#1b1b1b"
_FONT = 'font-family="DejaVu Sans, Arial, sans-serif"'
_LINE = 18


def _seconds(time_text):
    return datetime.strptime(time_text.rstrip("Z")[:23], "%Y-%m-%dT%H:%M:%S.%f" if "." in time_text else "%Y-%m-%dT%H:%M:%S").timestamp()


def _text(x, y, text, size=13, color=_INK, anchor="start", weight="normal"):
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{color}" text-anchor="{anchor}" font-weight="{weight}" {_FONT}>'
            f"{html.escape(text)}</text>")


def _svg(height, body, label):
    return (f'<svg role="img" aria-label="{html.escape(label)}" viewBox="0 0 {_WIDTH} {height}" width="100%" '
            f'preserveAspectRatio="xMinYMin meet" class="picture">{"".join(body)}</svg>')


def timeline(stages, actions, statuses, fell_short):
    """(svg, text) of one instance's calls on a time axis, one lane per stage in workflow order.

    stages: stage names in order; actions: the manifest's actions for this instance (time, stage,
    action, outcome); statuses: {stage: status}; fell_short: the stages whose status says they did
    not do their job. Those stages, and each call that failed, are drawn in red.
    """
    lanes = [s for s in stages if s in statuses or any(a["stage"] == s for a in actions)]
    if not actions or not lanes:
        return None, "No call concerned this instance."
    times = [_seconds(a["time"]) for a in actions]
    start, end = min(times), max(times)
    span = max(end - start, 0.001)
    plot = _WIDTH - _LEFT - _RIGHT

    def x_of(moment):
        return _LEFT + plot * (moment - start) / span
    height = 40 + _LANE * len(lanes) + 30
    body = [f'<rect x="0" y="0" width="{_WIDTH}" height="{height}" fill="#ffffff"/>']
    words = []
    for row, stage in enumerate(lanes):
        calls = [(t, a) for t, a in zip(times, actions) if a["stage"] == stage]
        drawn, said = _lane(30 + row * _LANE, stage, calls, statuses.get(stage) or "no outcome", stage in fell_short, x_of)
        body += drawn
        words.append(said)
    axis = 40 + _LANE * len(lanes) - 10
    body.append(f'<line x1="{_LEFT}" y1="{axis}" x2="{_LEFT + plot}" y2="{axis}" stroke="{_MUTED}" stroke-width="1"/>')
    body.append(_text(_LEFT, axis + 18, actions[times.index(start)]["time"] + " UTC", size=11, color=_MUTED))
    body.append(_text(_LEFT + plot, axis + 18, f"+{end - start:.1f} s", size=11, color=_MUTED, anchor="end"))
    return _svg(height, body, "Timeline: " + "; ".join(words)), "Timeline: " + "; ".join(words) + "."


def _lane(y, stage, calls, status, fell_short, x_of):
    """(svg parts, words) of one stage's lane at height y: its name, a band over its calls, a mark per call, its status."""
    errors = [a["action"] for _t, a in calls if a["outcome"] == "error"]
    color = _FAILED if errors or fell_short else _OK
    right = x_of(calls[-1][0]) if calls else None
    body = [_text(_LEFT - 10, y + 5, stage, anchor="end", weight="bold"),
            f'<line x1="{_LEFT}" y1="{y}" x2="{_WIDTH - _RIGHT}" y2="{y}" stroke="#e0e0e0" stroke-width="1"/>']
    if calls:
        x0 = x_of(calls[0][0])
        body.append(f'<rect x="{x0:.1f}" y="{y - 5}" width="{max(right - x0, 3):.1f}" height="10" rx="3" fill="{color}" fill-opacity="0.25"/>')
        body += [_mark(x_of(moment), y, action["outcome"] == "error", color) for moment, action in calls]
        # The key calls of the stage, by API name, under its lane.
        names = list(dict.fromkeys(a["action"] for _t, a in calls))
        body.append(_text(x0, y + 17, ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else ""), size=10, color=_MUTED))
    label = status + (f" ({', '.join(errors)} failed)" if errors else "")
    body.append(_text(_WIDTH - _RIGHT + 10, y + 5, label, color=_FAILED if errors or fell_short else _INK))
    return body, f"{stage}: {status}, {len(calls)} call(s)" + (f", failed: {', '.join(errors)}" if errors else "")


def _mark(x, y, failed, color):
    """A cross for a call that failed, else a dot."""
    if failed:
        return (f'<path d="M{x - 6:.1f} {y - 6} L{x + 6:.1f} {y + 6} M{x + 6:.1f} {y - 6} L{x - 6:.1f} {y + 6}" '
                f'stroke="{_FAILED}" stroke-width="3"/>')
    return f'<circle cx="{x:.1f}" cy="{y}" r="4" fill="{color}"/>'


def _box(x, title, lines, color):
    body = [f'<rect x="{x}" y="10" width="{_WIDTH / 2 - 40:.0f}" height="{30 + _LINE * max(len(lines), 1) + 10}" rx="6" '
            f'fill="#fafafa" stroke="{color}" stroke-width="2"/>', _text(x + 12, 32, title, size=14, color=color, weight="bold")]
    for n, line in enumerate(lines):
        body.append(_text(x + 12, 32 + _LINE * (n + 1), line, size=12))
    return body


def before_after(before_lines, after_lines, changed):
    """(svg, text) of an instance before and after the response: two boxes and an arrow between them.

    changed: whether anything changed (the after box is drawn in the muted colour when not).
    """
    height = 30 + _LINE * max(len(before_lines), len(after_lines), 1) + 30
    half = _WIDTH / 2
    body = [f'<rect x="0" y="0" width="{_WIDTH}" height="{height}" fill="#ffffff"/>']
    body += _box(10, "Before the response", before_lines, _MUTED)
    body += _box(half + 30, "Now", after_lines, _OK if changed else _MUTED)
    middle = 10 + (height - 20) / 2
    body.append(f'<path d="M{half - 26} {middle} L{half + 22} {middle} M{half + 12} {middle - 8} L{half + 22} {middle} L{half + 12} {middle + 8}" '
                f'stroke="{_INK}" stroke-width="2" fill="none"/>')
    text = "Before: " + "; ".join(before_lines) + ". Now: " + "; ".join(after_lines) + "."
    return _svg(height, body, text), text
