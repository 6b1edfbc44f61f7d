"""The acceptance record as a printed document (民生实事项目验收意见书): the plan's figures, who
inspected, the checklist, the findings, the result in words and the warranty, with signature lines
for the acceptance group, deputies, voters' representatives and the implementing department."""

from __future__ import annotations

from typing import Any

from lifecycle import acceptance, projects
from lifecycle.tables import ProposalEvent, Rectification
from reports.pdf import render_html, render_pdf_async
from reports.wording import chinese_date
from voting.tables import Congress

SIGNATURES = ("验收组组长", "人大代表", "群众代表", "承办部门（盖章）")


async def certificate_context(acceptance_id: int, project_id: int | None = None) -> dict[str, Any]:
    record = await acceptance.get_acceptance(acceptance_id, project_id)
    project = await projects.get_project(record["project"])
    congress = await Congress.select(Congress.name).where(Congress.id == project["congress"]).first()
    items = acceptance.read_checklist(record["checklist"])
    until = acceptance.warranty_until(record["held_on"], record["warranty_months"]) \
        if record["result"] in acceptance.PASSING else None
    rectifications = await raised_by(record, project)
    return {
        "record": record, "project": project, "congress_name": congress["name"] if congress else "",
        "held_on": chinese_date(record["held_on"]),
        "starts_on": chinese_date(project["starts_on"]) if project["starts_on"] else "",
        "ends_on": chinese_date(project["ends_on"]) if project["ends_on"] else "",
        "deputies": await acceptance.deputy_names(record["deputies"]),
        "checklist": [{"label": label, "ok": items[key].ok, "note": items[key].note}
                      for key, label in acceptance.CHECKLIST.items()],
        "check_labels": acceptance.CHECK_LABELS, "result_label": acceptance.RESULTS[record["result"]],
        "warranty_until": chinese_date(until) if until else "",
        "rectifications": rectifications,
        "signatures": SIGNATURES,
    }


async def raised_by(record: dict[str, Any], project: dict[str, Any]) -> list[dict[str, Any]]:
    """The rectification requests this acceptance raised (its history entry names them)."""
    events = await ProposalEvent.select(ProposalEvent.detail).where(
        (ProposalEvent.proposal == project["proposal"]) & (ProposalEvent.kind == "rectification")).output(
        load_json=True)
    ids = [i for e in events if (e["detail"] or {}).get("acceptance") == record["id"]
           for i in e["detail"].get("rectifications", [])]
    if not ids:
        return []
    return await Rectification.select(Rectification.request, Rectification.due_on).where(
        Rectification.id.is_in(ids)).order_by(Rectification.id)


async def certificate_html(acceptance_id: int, project_id: int | None = None) -> str:
    return render_html("print/acceptance_certificate.html", **await certificate_context(acceptance_id, project_id))


async def certificate_pdf(acceptance_id: int, project_id: int | None = None) -> bytes:
    """The PDF, rendered in a worker thread so the event loop keeps serving."""
    return await render_pdf_async("print/acceptance_certificate.html",
                                  **await certificate_context(acceptance_id, project_id))

