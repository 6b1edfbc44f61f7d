"""The proposal lists ask the database the same few questions whatever the number of rows (no N+1)."""

from datetime import timedelta

from piccolo.engine import engine_finder

from lifecycle import proposals
from lifecycle.proposal_input import ProposalInput
from lifecycle.proposals import Who
from tests.hall import STAFF, login_staff

SECRETARIAT = Who(STAFF, "secretariat")


def counting(monkeypatch) -> list[str]:
    """Record every statement the engine runs (the real engine runs them; this only counts)."""
    seen: list[str] = []
    engine = engine_finder()
    original = type(engine).run_querystring

    async def run_querystring(self, querystring, in_pool=True):
        seen.append(str(querystring)[:80])
        return await original(self, querystring, in_pool=in_pool)

    monkeypatch.setattr(type(engine), "run_querystring", run_querystring)
    return seen


async def add(round_id: int, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        await proposals.submit(round_id, ProposalInput(
            title=f"第{i}个民生项目建议", description="群众反映强烈，需求迫切，受益面广。", township=f"第{i % 7}镇",
            category="transport", channel="liaison_station"), SECRETARIAT)


async def test_a_list_page_costs_the_same_queries_for_five_rows_as_for_fifty(hall, client, monkeypatch):
    today = proposals.today()
    round_id = await proposals.create_round(hall.congress_id, today.year + 1, "查询次数", today,
                                            today + timedelta(days=5), None, SECRETARIAT)
    await add(round_id, 5)
    await login_staff(client)
    paths = [f"/console/proposals?round={round_id}", f"/public/proposals?round={round_id}"]
    for path in paths:  # warm: the first request of a kind may look things up once
        assert (await client.get(path)).status_code == 200
    few = {}
    seen = counting(monkeypatch)
    for path in paths:
        seen.clear()
        page = await client.get(path)
        assert page.status_code == 200 and "第4个民生项目建议" in page.text
        few[path] = len(seen)
    monkeypatch.undo()
    await add(round_id, 60, start=5)
    seen = counting(monkeypatch)
    for path in paths:
        seen.clear()
        page = await client.get(path)
        assert page.status_code == 200 and "第64个民生项目建议" in page.text and "第10个民生项目建议" not in page.text
        assert len(seen) == few[path], (path, seen)
        assert len(seen) <= 6, seen
