"""Paper and tablets in one vote, double entry, rulings, exchanges, runoffs, confirmation, the seal."""

import pytest

from tests.hall import STAFF, counting_team
from voting import ballot_box, paper, polls, scrutiny
from voting.ballot_box import Outcome
from voting.database import fetch
from voting.errors import Conflict, Refused
from voting.paper import Counter, Entry
from tests import sealed


async def paper_poll(hall, seats=2, candidates=4):
    """A poll open in a checked-in hall with 8 printed sheets (in number order here, for the
    test's bookkeeping), and the session's team with counters 甲, 乙 and 丙 (deputies 2 to 4)."""
    global ALICE, BOB, CAROL
    await hall.check_in()
    poll_id = await hall.poll(candidates=candidates, seats=seats)
    serials = sorted(await paper.register_print_run(poll_id, 8, STAFF))
    ALICE, BOB, CAROL = await counting_team(hall, (2, 3, 4))
    return poll_id, serials


async def enter_twice(poll_id, serial, marks, void=False):
    assert await paper.enter(poll_id, serial, marks, void, ALICE) is Entry.first
    return await paper.enter(poll_id, serial, marks, void, BOB)


async def test_a_mixed_vote_counts_what_a_hand_count_gives(hall):
    poll_id, serials = await paper_poll(hall)
    tablet, on_paper = hall.deputy_ids[:20], hall.deputy_ids[20:25]
    for deputy in tablet[:12]:
        assert await sealed.cast(poll_id, deputy, {"P01": "for", "P02": "for"}) is Outcome.accepted
    for deputy in tablet[12:]:
        assert await sealed.cast(poll_id, deputy, {"P03": "for", "P01": "against"}) is Outcome.accepted
    await ballot_box.issue(poll_id, on_paper[0])  # the tablet showed the ballot, then died: paper instead
    for deputy in on_paper:
        await paper.issue_paper(poll_id, deputy, STAFF)
    assert await sealed.cast(poll_id, on_paper[0], {"P01": "for"}) is Outcome.paper_issued
    with pytest.raises(Conflict, match="已在平板上投票"):
        await paper.issue_paper(poll_id, tablet[0], STAFF)
    with pytest.raises(Conflict, match="已领取纸质选票"):
        await paper.issue_paper(poll_id, on_paper[1], STAFF)
    await paper.void_serial(poll_id, serials[0], "代表填写错误，申请更换", STAFF)  # exchanged, sheet 2 instead
    with pytest.raises(Conflict, match="结束投票后才能录入"):
        await paper.enter(poll_id, serials[1], {}, False, ALICE)
    await polls.stop_voting(poll_id, STAFF)
    assert await sealed.cast(poll_id, hall.deputy_ids[29], {}) is Outcome.poll_not_open

    assert await enter_twice(poll_id, serials[1], {"P01": "for", "P02": "for"}) is Entry.counted
    assert await enter_twice(poll_id, serials[2], {"P02": "for", "P04": "for"}) is Entry.counted
    assert await enter_twice(poll_id, serials[3], {}, void=True) is Entry.counted  # spoiled: invalid
    # serial 5: the counters disagree and the chief scrutineer rules from the sheet
    await paper.enter(poll_id, serials[4], {"P01": "for"}, False, ALICE)
    assert await paper.enter(poll_id, serials[4], {"P01": "against"}, False, BOB) is Entry.disputed
    with pytest.raises(Conflict, match="只录入了一次或两次录入不一致"):
        await sealed.close_poll(poll_id, STAFF)
    with pytest.raises(Refused, match="只有本次会议的总监票人或监票人"):
        await paper.rule(poll_id, serials[4], {"P01": "for"}, False, ALICE)  # a counter does not rule
    await paper.rule(poll_id, serials[4], {"P01": "for"}, False, Counter(hall.deputy_ids[0], "总监票人"))
    # serial 6: only one entry so far -> still blocks; then the second counter agrees
    await paper.enter(poll_id, serials[5], {"P03": "for"}, False, ALICE)
    assert await paper.enter(poll_id, serials[5], {"P03": "for"}, False, BOB) is Entry.counted

    result = await sealed.close_poll(poll_id, STAFF)
    # By hand: tablets 12 × (P01, P02) + 8 × (P03, against P01); paper P01+P02, P02+P04, void, P01, P03.
    counts = {c["id"]: c["for"] for c in result["candidates"]}
    assert counts == {"P01": 14, "P02": 14, "P03": 9, "P04": 1}
    assert (result["returned"], result["valid"], result["invalid"]) == (25, 24, 1)
    poll = await polls.get_poll(poll_id)
    assert poll["issued"] == 25 and poll["present"] == 30
    exported = await polls.export_ballot_file(poll_id)
    assert exported.count('"void": true') == 1 and exported.count('"id": "b-') == 25


async def test_paper_entry_refuses_bad_unknown_repeated_and_voided_serials(hall):
    poll_id, serials = await paper_poll(hall)
    await paper.issue_paper(poll_id, hall.deputy_ids[0], STAFF)
    await paper.void_serial(poll_id, serials[7], "污损", STAFF)
    await polls.stop_voting(poll_id, STAFF)
    digits = serials[0].replace("-", "")
    wrong_check = f"{serials[0][:-1]}{(int(serials[0][-1]) + 1) % 10}"
    with pytest.raises(Refused, match="校验位不符"):
        await paper.enter(poll_id, wrong_check, {}, False, ALICE)
    with pytest.raises(Refused, match="没有印制过"):
        from voting.serials import make_serial
        await paper.enter(poll_id, make_serial(poll_id, 999), {}, False, ALICE)
    with pytest.raises(Conflict, match="已作废"):
        await paper.enter(poll_id, serials[7], {}, False, ALICE)
    await paper.enter(poll_id, f"PJ1|{(await polls.get_poll(poll_id))['ref']}|{serials[0]}", {"P01": "for"}, False,
                      ALICE)  # as a hand scanner types the QR code
    with pytest.raises(Conflict, match="须由另一位计票人"):
        await paper.enter(poll_id, digits, {"P01": "for"}, False, ALICE)
    assert await paper.enter(poll_id, serials[0], {"P01": "for"}, False, BOB) is Entry.counted
    with pytest.raises(Conflict, match="已经录入计票"):
        await paper.enter(poll_id, serials[0], {"P01": "for"}, False, CAROL)
    with pytest.raises(Refused, match="不存在的候选项目"):  # a forged form, not a sheet read
        await paper.enter(poll_id, serials[1], {"P09": "for"}, False, ALICE)


async def test_a_sheet_more_than_were_issued_is_refused(hall):
    poll_id, serials = await paper_poll(hall)
    for deputy in hall.deputy_ids[:2]:
        await paper.issue_paper(poll_id, deputy, STAFF)
    await polls.stop_voting(poll_id, STAFF)
    for serial in serials[:2]:
        await enter_twice(poll_id, serial, {"P01": "for"})
    with pytest.raises(Conflict, match="多出来了.*发出 2 张"):  # a printed sheet never handed out turns up
        await paper.enter(poll_id, serials[2], {"P01": "for"}, False, ALICE)
    result = await sealed.close_poll(poll_id, STAFF)
    assert result["status"] == "valid" and result["returned"] == 2


async def test_editing_one_stored_ballot_after_the_close_makes_verify_fail(hall):
    await hall.check_in()
    poll_id = await hall.poll(candidates=3, seats=1)
    for deputy in hall.deputy_ids[:10]:
        await sealed.cast(poll_id, deputy, {"P01": "for"})
    await sealed.close_poll(poll_id, STAFF)
    assert (await polls.verify(poll_id))["intact"]
    victim = (await fetch("SELECT id FROM ballot WHERE poll = {} LIMIT 1", poll_id))[0]["id"]
    await fetch("UPDATE ballot SET marks = {} WHERE id = {}", '{"P02": "for"}', victim)
    report = await polls.verify(poll_id)
    assert not report["intact"] and report["computed"] != report["sealed"]
    await fetch("UPDATE ballot SET marks = {} WHERE id = {}", '{"P01": "for"}', victim)
    assert (await polls.verify(poll_id))["intact"]
    await fetch("DELETE FROM ballot WHERE id = {}", victim)
    assert not (await polls.verify(poll_id))["intact"]


async def test_a_tie_at_the_cut_off_goes_to_a_runoff_and_the_winners_combine(hall):
    await hall.check_in()
    poll_id = await hall.poll(candidates=4, seats=2)
    # P01 20; P02 and P03 16 each (tied for the second seat, both past the bar of 16); P04 4
    plan = ([{"P01": "for", "P02": "for"}] * 10 + [{"P01": "for", "P03": "for"}] * 10
            + [{"P02": "for", "P03": "for"}] * 6 + [{"P04": "for"}] * 4)
    for deputy, marks in zip(hall.deputy_ids, plan):
        await sealed.cast(poll_id, deputy, marks)
    result = await sealed.close_poll(poll_id, STAFF)
    assert result["winners"] == ["P01"] and result["runoff"] == ["P02", "P03"] and result["runoff_seats"] == 1
    runoff_id = await polls.open_runoff(poll_id, STAFF)
    with pytest.raises(Conflict, match="已经开始过"):
        await polls.open_runoff(poll_id, STAFF)
    runoff = await polls.get_poll(runoff_id)
    assert (runoff["status"], runoff["round"], runoff["seats"], runoff["runoff_of"]) == ("open", 2, 1, poll_id)
    assert [c["title"] for c in await polls.candidates_of(runoff_id)] == ["候选项目02", "候选项目03"]
    for deputy in hall.deputy_ids[:20]:  # on the runoff ballot 候选项目02 is P01
        await sealed.cast(runoff_id, deputy, {"P01": "for"})
    await sealed.close_poll(runoff_id, STAFF)
    final = await polls.final_outcome(poll_id)
    assert [(w["title"], w["round"]) for w in final["winners"]] == [("候选项目01", 1), ("候选项目02", 2)]
    assert final["complete"] and final["runoff"] == []


async def test_publishing_needs_every_scrutineer_and_a_confirmed_count_is_corrected_by_a_new_record(hall):
    poll_id, serials = await paper_poll(hall)
    for deputy in hall.deputy_ids[:3]:
        await paper.issue_paper(poll_id, deputy, STAFF)
    await polls.stop_voting(poll_id, STAFF)
    await enter_twice(poll_id, serials[0], {"P01": "for"})
    await enter_twice(poll_id, serials[1], {"P01": "for"})
    await paper.declare_not_returned(poll_id, "代表未交回，已离开会场", STAFF)
    await sealed.close_poll(poll_id, STAFF)
    chief, scrutineer = hall.deputy_ids[0], hall.deputy_ids[1]
    await sealed.confirm_on_tablet(poll_id, chief, STAFF)
    with pytest.raises(Refused, match="总监票人和监票人才能确认"):
        await sealed.confirm_on_tablet(poll_id, hall.deputy_ids[2], STAFF)
    with pytest.raises(Conflict, match="监票人.*确认计票结果，才能公布"):
        await scrutiny.publish(poll_id, STAFF)
    await scrutiny.confirm(poll_id, scrutineer, "paper", STAFF)
    await scrutiny.publish(poll_id, STAFF)
    stored = polls.stored_result(await polls.get_poll(poll_id))
    corrected = await scrutiny.correct_paper_ballot(poll_id, serials[1], {"P02": "for"}, False,
                                                    "复核纸质选票时发现第二张录入有误", STAFF,
                                                    sealed.CARDS[poll_id][:2])  # signed: the serials are sealed
    poll = await polls.get_poll(poll_id)
    assert polls.stored_result(poll) == stored  # the confirmed result is never edited
    assert {c["id"]: c["for"] for c in corrected["candidates"]}["P02"] == 1
    assert (await scrutiny.current_result(poll))["candidates"][1]["for"] == 1
    assert (await polls.verify(poll_id))["intact"]  # against the correction's seal
    state = await scrutiny.confirmation_state(poll_id)
    assert not state["complete"] and poll["published_at"] is None and len(state["corrections"]) == 1


async def test_the_verify_command_says_whether_the_stored_ballots_are_the_sealed_ones(hall):
    import subprocess
    import sys
    from pathlib import Path

    await hall.check_in()
    poll_id = await hall.poll(candidates=3, seats=1)
    for deputy in hall.deputy_ids[:8]:
        await sealed.cast(poll_id, deputy, {"P02": "for"})
    await sealed.close_poll(poll_id, STAFF)
    ref = (await polls.get_poll(poll_id))["ref"]
    root = Path(__file__).resolve().parents[2]

    def verify() -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "voting", "verify", ref], cwd=root, capture_output=True,
                              text=True, timeout=60)

    intact = verify()
    assert intact.returncode == 0 and "核验通过" in intact.stdout and "库中选票 8 张" in intact.stdout
    await fetch("INSERT INTO ballot (id, poll, marks, void) VALUES ({}, {}, {}, {})", "b-forged", poll_id,
                '{"P01": "for"}', False)
    altered = verify()
    assert altered.returncode == 1 and "核验失败" in altered.stdout and "重新计票的结果也与存档不同" in altered.stdout
