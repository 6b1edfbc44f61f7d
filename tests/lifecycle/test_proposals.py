"""From a proposal to the candidate list and back from the vote, on the real database."""

from datetime import date, timedelta

import pytest

from lifecycle import candidate_lists, proposals, screening
from lifecycle.proposal_input import ProposalInput
from lifecycle.proposals import Who
from lifecycle.tables import Project, Proposal
from tests.hall import STAFF, counting_team
from voting import audit, ballot_box, paper, polls, scrutiny
from voting.audit import Actor
from voting.errors import Conflict, Refused, Throttled
from voting.poll_settings import PollSettings
from voting.tables import CheckIn, ResultCorrection
from tests import sealed

SECRETARIAT = Who(STAFF, "secretariat")
DEPARTMENT = Who(Actor("staff", None, "初审部门 发改局"), "screener")  # screens proposals
ALL_MET = dict.fromkeys(screening.CRITERIA, "meets")


def idea(title: str = "东岭村道路硬化", township: str = "城关镇", village: str = "东岭村", **more) -> ProposalInput:
    return ProposalInput(title=title, description="村道全长 3 公里，雨天泥泞，群众出行不便。", township=township,
                         village=village, category="transport", cost_wan=120, beneficiaries=3000, **more)


async def open_round(hall, days_left: int = 10) -> int:
    today = proposals.today()
    return await proposals.create_round(hall.congress_id, today.year + 1, f"{today.year + 1} 年民生实事项目征集",
                                        today - timedelta(days=3), today + timedelta(days=days_left), 5000,
                                        SECRETARIAT)


async def test_a_citizen_submits_in_the_window_and_tracks_the_proposal_by_code(hall):
    round_id = await open_round(hall)
    made = await proposals.submit(round_id, idea(contact="13800000000", proposer_name="王大伯"), Who.citizen(),
                                  client="203.0.113.9")
    tracked = await proposals.track(made["code"].lower().replace("-", " "))
    assert tracked["own"]["stage"] == "submitted" and tracked["current"]["id"] == made["id"]
    assert [e["kind"] for e in tracked["history"]] == ["submitted"]
    assert "网上征集" in tracked["history"][0]["text"]
    with pytest.raises(Refused, match="没有这个查询码"):
        await proposals.track("XXXX-XXXX")


async def test_outside_the_window_the_public_is_refused_but_paper_entry_goes_on(hall):
    today = proposals.today()
    closed = await proposals.create_round(hall.congress_id, today.year, "去年的征集", today - timedelta(days=60),
                                          today - timedelta(days=30), None, SECRETARIAT)
    before = await Proposal.count()
    with pytest.raises(Conflict, match="现在不在征集期内"):
        await proposals.submit(closed, idea(), Who.citizen(), client="203.0.113.10")
    assert await Proposal.count() == before
    await proposals.submit(closed, idea(channel="liaison_station"), SECRETARIAT)
    assert await Proposal.count() == before + 1


async def test_public_submissions_are_limited_per_address_and_nothing_is_stored_past_it(hall):
    round_id = await open_round(hall)
    for n in range(proposals.PUBLIC_LIMIT):
        await proposals.submit(round_id, idea(title=f"第{n}个建议项目"), Who.citizen(), client="198.51.100.1")
    before = await Proposal.count()
    with pytest.raises(Throttled, match="提交太频繁"):
        await proposals.submit(round_id, idea(), Who.citizen(), client="198.51.100.1")
    assert await Proposal.count() == before
    await proposals.submit(round_id, idea(), Who.citizen(), client="198.51.100.2")  # another address is fine


async def test_duplicates_are_flagged_and_merging_credits_both_and_sums_supporters(hall):
    round_id = await open_round(hall)
    first = await proposals.submit(round_id, idea(supporters=3), Who.citizen(), client="a")
    second = await proposals.submit(round_id, idea("关于东岭村道路硬化的建议", supporters=12), SECRETARIAT)
    await proposals.submit(round_id, idea("东岭村道路硬化", township="溪口镇"), SECRETARIAT)
    target = await proposals.get_proposal(second["id"])
    alike = await proposals.similar_to(target)
    assert [p["id"] for p in alike] == [first["id"]]
    await proposals.merge(first["id"], second["id"], DEPARTMENT)
    assert (await proposals.get_proposal(second["id"]))["supporters"] == 15
    tracked = await proposals.track(first["code"])
    assert tracked["own"]["stage"] == "merged" and tracked["current"]["id"] == second["id"]
    assert [p["id"] for p in await proposals.merged_sources(second["id"])] == [first["id"]]
    with pytest.raises(Conflict):
        await proposals.merge(second["id"], first["id"], DEPARTMENT)  # into a merged one: refused


async def test_screening_records_criteria_and_every_move_with_reason_and_audit(hall):
    round_id = await open_round(hall)
    made = await proposals.submit(round_id, idea(), SECRETARIAT)
    with pytest.raises(Conflict, match="全部初审标准"):
        await proposals.move(made["id"], "shortlisted", DEPARTMENT)
    with pytest.raises(Refused, match="请写明意见"):
        await proposals.record_review(made["id"], {"land": "fails"}, {}, "", DEPARTMENT)
    await proposals.record_review(made["id"], ALL_MET, {}, "符合年度重点", DEPARTMENT)
    await proposals.record_meeting(made["id"], "signoff", "县政府常务会议", date(2026, 11, 20), "县府常〔2026〕31号",
                                   "", SECRETARIAT)
    await proposals.move(made["id"], "shortlisted", DEPARTMENT)
    with pytest.raises(Conflict, match="须写明理由"):
        await proposals.move(made["id"], "rejected", DEPARTMENT, " ")
    await proposals.move(made["id"], "reserve", DEPARTMENT, "年度财力有限，列入储备库")
    row = await proposals.get_proposal(made["id"])
    assert row["stage"] == "reserve" and row["decision_reason"] == "年度财力有限，列入储备库"
    kinds = [(e["kind"], e["stage_to"]) for e in await proposals.history(made["id"])]
    assert kinds == [("submitted", "submitted"), ("reviewed", ""), ("signoff", ""), ("moved", "shortlisted"),
                     ("moved", "reserve")]
    logged = [e["action"] for e in await audit.entries(limit=10) if e["subject"] == made["code"]]
    assert logged[:3] == ["proposal_moved", "proposal_moved", "proposal_signoff"]


async def shortlisted(round_id: int, n: int) -> list[int]:
    ids = []
    for i in range(n):
        made = await proposals.submit(round_id, idea(title=f"候选民生项目{i + 1:02d}", village=f"村{i}"), SECRETARIAT)
        await proposals.record_review(made["id"], ALL_MET, {}, "", DEPARTMENT)
        await proposals.move(made["id"], "shortlisted", DEPARTMENT)
        ids.append(made["id"])
    return ids


def rules(seats: int = 2) -> PollSettings:
    return PollSettings(title="2027 年民生实事项目票决", method="approval", seats=seats, max_approvals=None,
                        non_competitive=False, threshold_base="entitled", threshold_fraction="1/2",
                        threshold_strict=True, quorum_fraction="2/3", candidates=())


async def listed_poll(hall, candidates: int, seats: int) -> tuple[list[int], int]:
    """`candidates` shortlisted proposals on the session's list, made its poll for `seats`,
    every deputy checked in and the poll open: (the proposals' ids in list order, the poll)."""
    ids = await shortlisted(await open_round(hall), candidates)
    await candidate_lists.add(hall.session_id, ids, SECRETARIAT)
    poll_id = await candidate_lists.make_poll(hall.session_id, rules(seats), SECRETARIAT)
    await hall.check_in()
    await sealed.open_poll(poll_id, STAFF)
    return ids, poll_id


async def test_the_candidate_list_becomes_a_poll_locks_when_it_opens_and_the_result_flows_back(hall):
    round_id = await open_round(hall)
    ids = await shortlisted(round_id, 4)
    await candidate_lists.add(hall.session_id, ids, SECRETARIAT)
    await candidate_lists.reorder(hall.session_id, [ids[3], ids[0], ids[1], ids[2]], SECRETARIAT)
    poll_id = await candidate_lists.make_poll(hall.session_id, rules(), SECRETARIAT)
    on_ballot = await polls.candidates_of(poll_id)
    assert [c["title"] for c in on_ballot] == ["候选民生项目04", "候选民生项目01", "候选民生项目02", "候选民生项目03"]
    assert candidate_lists.margin(len(on_ballot), 2) == {"count": 4, "seats": 2, "extra": 2, "ratio": 2.0,
                                                         "competitive": True}
    await hall.check_in()
    await sealed.open_poll(poll_id, STAFF)
    with pytest.raises(Conflict, match="已锁定"):
        await candidate_lists.remove(hall.session_id, ids[0], SECRETARIAT, "不再需要")
    # P01 (proposal 4) and P02 (proposal 1) get 20 approvals of 30 deputies; the others 5.
    plan = [{"P01": "for", "P02": "for"}] * 20 + [{"P03": "for", "P04": "for"}] * 5
    for deputy, marks in zip(hall.deputy_ids, plan):
        assert await sealed.cast(poll_id, deputy, marks) is ballot_box.Outcome.accepted
    await sealed.close_poll(poll_id, STAFF)
    stage = {p["id"]: p["stage"] for p in await candidate_lists.candidates(hall.session_id)}
    assert stage == {ids[3]: "chosen", ids[0]: "chosen", ids[1]: "reserve", ids[2]: "reserve"}
    reserve = await proposals.get_proposal(ids[1])
    assert "未获票决确定，转入储备库" in reserve["decision_reason"]


async def test_a_void_poll_moves_no_one_and_only_shortlisted_items_go_on_the_list(hall):
    round_id = await open_round(hall)
    ids = await shortlisted(round_id, 3)
    fresh = await proposals.submit(round_id, idea("未初审的建议"), SECRETARIAT)
    with pytest.raises(Conflict, match="不是本届人大初审入围的建议"):
        await candidate_lists.add(hall.session_id, [fresh["id"]], SECRETARIAT)
    await candidate_lists.add(hall.session_id, ids, SECRETARIAT)
    poll_id = await candidate_lists.make_poll(hall.session_id, rules(1), SECRETARIAT)
    await hall.reach_quorum(poll_id)
    await sealed.open_poll(poll_id, STAFF)
    await CheckIn.delete().where(CheckIn.sitting == hall.sitting_id)  # then no one counts as present: no quorum
    await sealed.close_poll(poll_id, STAFF)
    assert {p["stage"] for p in await candidate_lists.candidates(hall.session_id)} == {"candidate"}


async def test_a_runoff_settles_the_tied_candidates_on_the_list(hall):
    ids, poll_id = await listed_poll(hall, 4, 2)
    plan = ([{"P01": "for", "P02": "for"}] * 10 + [{"P01": "for", "P03": "for"}] * 10
            + [{"P02": "for", "P03": "for"}] * 6 + [{"P04": "for"}] * 4)
    for deputy, marks in zip(hall.deputy_ids, plan):
        await sealed.cast(poll_id, deputy, marks)
    await sealed.close_poll(poll_id, STAFF)
    stage = {p["id"]: p["stage"] for p in await candidate_lists.candidates(hall.session_id)}
    assert stage == {ids[0]: "chosen", ids[1]: "candidate", ids[2]: "candidate", ids[3]: "reserve"}
    runoff_id = await polls.open_runoff(poll_id, STAFF)
    for deputy in hall.deputy_ids[:20]:
        await sealed.cast(runoff_id, deputy, {"P02": "for"})  # the runoff's P02 is the list's third
    await sealed.close_poll(runoff_id, STAFF)
    stage = {p["id"]: p["stage"] for p in await candidate_lists.candidates(hall.session_id)}
    assert stage == {ids[0]: "chosen", ids[1]: "reserve", ids[2]: "chosen", ids[3]: "reserve"}


async def corrected_poll(hall, entered: str = "for") -> tuple[list[int], int, str]:
    """A list of four, counted: P01 16 approvals and P02 15 on tablets plus one paper ballot
    entered (by both counters) as `entered` for it: with "for" both pass the bar of more than
    15 of 30."""
    ids, poll_id = await listed_poll(hall, 4, 2)
    plan = [{"P01": "for", "P02": "for"}] * 15 + [{"P01": "for"}] + [{"P03": "for"}] * 13
    for deputy, marks in zip(hall.deputy_ids, plan):
        assert await sealed.cast(poll_id, deputy, marks) is ballot_box.Outcome.accepted
    serial = (await paper.register_print_run(poll_id, 2, STAFF))[0]
    await paper.issue_paper(poll_id, hall.deputy_ids[29], STAFF)
    await polls.stop_voting(poll_id, STAFF)
    for counter in await counting_team(hall):
        await paper.enter(poll_id, serial, {"P02": entered}, False, counter)
    await sealed.close_poll(poll_id, STAFF)
    stage = {p["id"]: p["stage"] for p in await candidate_lists.candidates(hall.session_id)}
    assert stage == {ids[0]: "chosen", ids[1]: "chosen" if entered == "for" else "reserve", ids[2]: "reserve",
                     ids[3]: "reserve"}
    return ids, poll_id, serial


async def test_a_corrected_count_that_unseats_a_winner_moves_it_to_the_reserve_and_withdraws_its_project(hall):
    ids, poll_id, serial = await corrected_poll(hall)
    project = await Project.select().where(Project.proposal == ids[1]).first()
    assert project["stage"] == "planning"

    # Rechecking the sheets: it said 反对 to P02, so P02 has 15 approvals, not more than half.
    result = await scrutiny.correct_paper_ballot(poll_id, serial, {"P02": "against"}, False,
                                                 "复核原票，第2项划的是“反对”", STAFF)
    assert result["winners"] == ["P01"]
    stage = {p["id"]: p["stage"] for p in await candidate_lists.candidates(hall.session_id)}
    assert stage == {ids[0]: "chosen", ids[1]: "reserve", ids[2]: "reserve", ids[3]: "reserve"}
    unseated = await proposals.get_proposal(ids[1])
    assert "计票结果经更正，未获票决确定，转入储备库" in unseated["decision_reason"]
    assert (await Project.select(Project.stage).where(Project.id == project["id"]).first())["stage"] == "terminated"
    told = [e["text"] for e in await proposals.history(ids[1])]
    assert any("本项目未获票决确定，撤销" in text for text in told), told
    assert (await polls.final_outcome(poll_id))["winners"][0]["ref"] == "P01"
    assert len((await polls.final_outcome(poll_id))["winners"]) == 1  # the rounds follow the correction

    # Changing it back cannot bring a withdrawn project back by itself: refused, nothing recorded.
    with pytest.raises(Conflict, match="已因此前的更正撤销"):
        await scrutiny.correct_paper_ballot(poll_id, serial, {"P02": "for"}, False, "再次复核", STAFF)
    assert await ResultCorrection.count().where(ResultCorrection.poll == poll_id) == 1
    assert (await polls.verify(poll_id))["intact"]


async def test_a_correction_that_would_unseat_a_project_under_way_is_refused_and_changes_nothing(hall):
    ids, poll_id, serial = await corrected_poll(hall)
    await Project.update({Project.stage: "implementing"}).where(Project.proposal == ids[1])  # its plan is out
    with pytest.raises(Conflict, match="已公布实施方案.*请先录入常委会的决定并终止该项目"):
        await scrutiny.correct_paper_ballot(poll_id, serial, {"P02": "against"}, False, "复核原票", STAFF)
    assert not await ResultCorrection.exists().where(ResultCorrection.poll == poll_id)
    assert (await polls.verify(poll_id))["intact"]  # the ballot swap was rolled back with it
    assert (await scrutiny.current_result(await polls.get_poll(poll_id)))["winners"] == ["P01", "P02"]
    stage = {p["id"]: p["stage"] for p in await candidate_lists.candidates(hall.session_id)}
    assert stage[ids[1]] == "chosen"


async def test_a_correction_that_adds_a_winner_chooses_it_and_makes_its_project(hall):
    ids, poll_id, serial = await corrected_poll(hall, entered="against")
    assert not await Project.exists().where(Project.proposal == ids[1])
    await scrutiny.correct_paper_ballot(poll_id, serial, {"P02": "for"}, False, "复核原票，第2项划的是“赞成”", STAFF)
    chosen = await proposals.get_proposal(ids[1])
    assert chosen["stage"] == "chosen" and "计票结果经更正，确定为民生实事项目" in chosen["decision_reason"]
    project = await Project.select().where(Project.proposal == ids[1]).first()
    assert project["stage"] == "planning" and project["title"] == chosen["title"]


def test_where_a_result_puts_each_listed_proposal():
    assert candidate_lists.placements({"method": "approval", "status": "valid", "winners": ["P01"], "runoff": ["P02"]},
                                      {"P01": "A", "P02": "B", "P03": "C", "P04": ""}) == {
        "A": "chosen", "B": "candidate", "C": "reserve"}
    assert candidate_lists.placements({"method": "approval", "status": "no_quorum"}, {"P01": "A"}) == {"A": "candidate"}
    assert candidate_lists.placements(None, {"P01": "A"}) == {"A": "candidate"}
