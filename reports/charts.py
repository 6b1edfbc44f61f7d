"""The geometry of the dashboard's and the bulletin's charts, worked out here so the SVG templates
(`templates/_charts.html`) only place what is given. Pure: numbers in, shapes out.

The charts are drawn by the server as SVG with presentation attributes (fill=, never
style=), so the console's Content-Security-Policy holds and WeasyPrint prints the same
picture. Every bar carries its figure and its name in words; a colour is never the
only way to tell two things apart.
"""

from __future__ import annotations

from typing import Any

from lifecycle import stages
from lifecycle.dashboard import BUCKETS, COLOUR_ORDER, COLOUR_WORDS, NOT_RATED, VERDICT_WORDS

WIDTH = 640  # the console's charts; the bulletin draws its half-width ones NARROW
NARROW = 340
ROW = 26
COLOUR_FILLS = {"green": "#1e7a3c", "yellow": "#c98a00", "red": "#b3261e", "grey": "#8a8a8a"}
STAGE_FILLS = {"planning": "#7e8fa6", "implementing": "#1f5fa8", "suspended": "#c98a00", "completed": "#5a8f3c",
               "accepted": "#1e7a3c", "evaluated": "#0f5a2a", "terminated": "#8a8a8a"}
VERDICT_FILLS = {"satisfied": "#1e7a3c", "basically_satisfied": "#8cc79b", "dissatisfied": "#b3261e",
                 NOT_RATED: "#e4ded4"}
BUDGET_FILL, SPENT_FILL = "#c9d8ec", "#1f5fa8"


def _scale(values: list[int]) -> int:
    return max([1, *values])


def _columns(width: int) -> tuple[int, int]:
    """The label column and the space kept for the figure after a bar."""
    return (150, 150) if width >= 500 else (84, 56)


def hbars(title: str, items: list[tuple[str, int, str]], unit: str = "个", width: int = WIDTH) -> dict[str, Any]:
    """Horizontal bars, one a row: (label, value, fill)."""
    label_width, value_width = _columns(width)
    span = width - label_width - value_width
    top = _scale([v for _, v, _ in items])
    rows = [{"y": n * ROW, "label": label, "value": value, "text": f"{value} {unit}", "fill": fill,
             "width": round(span * value / top, 1)} for n, (label, value, fill) in enumerate(items)]
    return {"title": title, "width": width, "height": max(1, len(rows)) * ROW + 4, "label_width": label_width,
            "span": span, "rows": rows, "summary": "；".join(f"{r['label']} {r['text']}" for r in rows)}


def stage_chart(by_stage: dict[str, int], width: int = WIDTH) -> dict[str, Any]:
    return hbars("各阶段项目数", [(label, by_stage.get(key, 0), STAGE_FILLS[key])
                                  for key, label in stages.PROJECT_STAGES.items()], width=width)


def colour_chart(by_colour: dict[str, int], width: int = WIDTH) -> dict[str, Any]:
    return hbars("进度状态（红黄绿灯）", [(COLOUR_WORDS[key], by_colour.get(key, 0), COLOUR_FILLS[key])
                                    for key in COLOUR_ORDER], width=width)


def money_chart(categories: list[dict[str, Any]], width: int = WIDTH) -> dict[str, Any]:
    """Budget and spending per category: a light bar for the budget, the spent part dark over it."""
    label_width, value_width = 150, 170
    span = width - label_width - value_width
    top = _scale([max(c["budget"], c["spent"]) for c in categories])
    rows = []
    for n, c in enumerate(categories):
        share = f"，{round(100 * c['spent'] / c['budget'])}%" if c["budget"] else ""
        rows.append({"y": n * ROW, "label": f"{c['label']}（{c['n']}）",
                     "budget_width": round(span * c["budget"] / top, 1),
                     "spent_width": round(span * c["spent"] / top, 1),
                     "text": f"{c['spent']} / {c['budget']} 万元{share}"})
    return {"title": "各类别预算与已支出（万元）", "width": width, "height": max(1, len(rows)) * ROW + 4,
            "label_width": label_width, "span": span, "rows": rows, "budget_fill": BUDGET_FILL,
            "spent_fill": SPENT_FILL,
            "summary": "；".join(f"{r['label']} 已支出 {r['text']}" for r in rows) or "没有项目"}


def progress_chart(histogram: list[int], width: int = WIDTH) -> dict[str, Any]:
    """Columns: how many projects (under way or done) stand at each tenth of their progress."""
    height, bottom, left = 160, 126, 10
    step = (width - 2 * left) / BUCKETS
    top = _scale(histogram)
    wide = width >= 500
    columns = []
    for n, value in enumerate(histogram):
        done = n == BUCKETS - 1
        label = ("100%" if done else f"{n * 10}–{n * 10 + 9}%") if wide else ("100" if done else f"{n * 10}+")
        h = round((bottom - 20) * value / top, 1)
        columns.append({"x": round(left + n * step + 2, 1), "width": round(step - 4, 1), "y": round(bottom - h, 1),
                        "height": h, "value": value, "label": label, "centre": round(left + n * step + step / 2, 1),
                        "text": f"进度 {'100%' if done else f'{n * 10}–{n * 10 + 9}%'} {value} 个"})
    return {"title": "项目进度分布（实施以来的项目数）", "width": width, "height": height, "bottom": bottom,
            "left": left, "columns": columns, "fill": SPENT_FILL, "label_size": 10.5 if wide else 10,
            "axis": "" if wide else "完成进度（%）",
            "summary": "；".join(c["text"] for c in columns)}


def verdict_chart(verdicts: dict[str, int], width: int = WIDTH) -> dict[str, Any]:
    """One stacked bar of the satisfaction verdicts, with the not yet evaluated at the end."""
    words = {**VERDICT_WORDS, NOT_RATED: "未测评"}
    total = sum(verdicts.values())
    span, x, segments = width - 20, 10.0, []
    per_row = 4 if width >= 500 else 2
    gap = (width - 20) / per_row
    for n, key in enumerate((*VERDICT_WORDS, NOT_RATED)):
        value = verdicts.get(key, 0)
        part = span * value / total if total else 0
        segments.append({"key": key, "label": words[key], "value": value, "x": round(x, 1), "width": round(part, 1),
                         "fill": VERDICT_FILLS[key], "share": f"{round(100 * value / total)}%" if total else "—",
                         "lx": round(10 + (n % per_row) * gap, 1), "ly": 50 + (n // per_row) * 22})
        x += part
    rows = -(-len(segments) // per_row)
    return {"title": "满意度测评结果", "width": width, "height": 50 + rows * 22 + 6, "segments": segments,
            "total": total, "summary": "；".join(f"{s['label']} {s['value']} 个" for s in segments)}


def all_charts(figures: dict[str, Any], width: int = WIDTH) -> dict[str, dict[str, Any]]:
    """The five charts; `width` for all but the budget chart, which always takes the full width."""
    return {"stage": stage_chart(figures["by_stage"], width), "colour": colour_chart(figures["by_colour"], width),
            "money": money_chart(figures["categories"]), "progress": progress_chart(figures["histogram"], width),
            "verdict": verdict_chart(figures["verdicts"], width)}
