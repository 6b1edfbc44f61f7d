"""The progress bulletin (民生实事项目进度通报) of one congress's year: summary figures, the
dashboard's charts, and a table with every project's department, progress, colour, money,
latest report and open rectifications. A4, dated in Chinese numerals, numbered 第N期
when the secretariat gives the issue number.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from lifecycle import dashboard, stages
from lifecycle.dashboard import Scope
from lifecycle.proposals import today
from reports import charts
from reports.pdf import render_html, render_pdf_async
from reports.wording import chinese_date
from voting.database import fetch
from voting.errors import NotFound, Refused
from voting.sittings import chinese_number


def issuer(congress: dict[str, Any]) -> str:
    """Who issues it: a county congress's standing committee office; a township congress's presidium."""
    if congress["level"] == "township":
        return f"{congress['name']}主席团"
    return f"{congress['name']}常务委员会办公室"


def summary(data: dict[str, Any]) -> str:
    """The opening paragraph's figures, in words."""
    by_stage, by_colour = data["by_stage"], data["by_colour"]
    parts = [f"{label} {by_stage[key]} 个" for key, label in stages.PROJECT_STAGES.items() if by_stage.get(key)]
    share = f"（{round(100 * data['spent'] / data['budget'])}%）" if data["budget"] else ""
    return (f"共有民生实事项目 {data['total']} 个，其中{'，'.join(parts) or '尚无项目'}。"
            f"按进度状态：绿灯 {by_colour['green']} 个，黄灯 {by_colour['yellow']} 个，红灯 {by_colour['red']} 个"
            f"{'，暂停或终止 %d 个' % by_colour['grey'] if by_colour['grey'] else ''}。"
            f"计划投资 {data['budget']} 万元，已支出 {data['spent']} 万元{share}；平均完成进度 {data['average_progress']}%；"
            f"尚未完成整改的问题 {data['open_rectifications']} 个。")


async def bulletin_context(scope: Scope, number: int | None = None, on: date | None = None) -> dict[str, Any]:
    if scope.congress_id is None:
        raise Refused("进度通报按一个人大印发，请先选择人大。")
    on = on or today()
    rows = await fetch("SELECT id, name, level FROM congress WHERE id = {}", scope.congress_id)
    if not rows:
        raise NotFound("没有这个人大。")
    data = await dashboard.bulletin_data(scope, on)
    return {**data, "congress": rows[0], "year": scope.year, "issuer": issuer(rows[0]),
            "number": number, "number_text": f"第{chinese_number(number)}期" if number else "",
            "dated": chinese_date(on), "as_of": f"{on.year}年{on.month}月{on.day}日",
            "summary_text": summary(data), "charts": charts.all_charts(data, charts.NARROW),
            "department_only": scope.department_id is not None}


async def bulletin(scope: Scope, *, pdf: bool, number: int | None = None, on: date | None = None) -> str | bytes:
    context = await bulletin_context(scope, number, on)
    if pdf:
        return await render_pdf_async("print/bulletin.html", **context)
    return render_html("print/bulletin.html", **context)
