"""The stage rules: which stage may follow which, who may move it, what must be on record (the whole
policy is pinned, independently of the production tables, in test_stage_policy.py)."""

import pytest

from lifecycle import screening, similarity, stages
from lifecycle.proposal_input import parse_proposal
from lifecycle.stages import MoveRefused, check_move


def test_a_screener_shortlists_only_after_a_complete_passing_review():
    with pytest.raises(MoveRefused, match="全部初审标准"):
        check_move("submitted", "shortlisted", "screener")
    assert check_move("submitted", "shortlisted", "screener", facts=frozenset({"review"})).target == "shortlisted"
    with pytest.raises(MoveRefused, match="承办部门不能初审入围"):  # an implementing department screens nothing
        check_move("submitted", "shortlisted", "department", facts=frozenset({"review"}))


def test_rejecting_or_sending_to_the_reserve_needs_a_reason_for_the_proposer():
    for target in ("rejected", "reserve"):
        with pytest.raises(MoveRefused, match="须写明理由"):
            check_move("submitted", target, "secretariat", reason="   ")
        check_move("submitted", target, "secretariat", reason="超出年度财力")


def test_citizens_and_deputies_move_nothing_and_only_a_poll_decides_the_vote():
    for role in ("citizen", "deputy"):
        assert stages.moves_from("submitted", role) == []
    with pytest.raises(MoveRefused, match="票决结果"):
        check_move("candidate", "chosen", "system")
    with pytest.raises(MoveRefused, match="秘书处不能票决确定"):
        check_move("candidate", "chosen", "secretariat", facts=frozenset({"poll"}))
    with pytest.raises(MoveRefused, match="初审部门不能列入候选项目"):
        check_move("shortlisted", "candidate", "screener")


def test_merged_is_final_and_a_candidate_cannot_skip_the_vote():
    assert all(m.source != "merged" for m in stages.MOVES)
    with pytest.raises(MoveRefused, match="不能直接改为"):
        check_move("submitted", "candidate", "secretariat")


def test_every_stage_is_reachable_from_submitted():
    seen, frontier = {"submitted"}, ["submitted"]
    while frontier:
        stage = frontier.pop()
        for m in stages.MOVES:
            if m.source == stage and m.target not in seen:
                seen.add(m.target)
                frontier.append(m.target)
    assert seen == set(stages.STAGES)


def test_screening_needs_comments_for_doubts_and_clears_only_when_all_criteria_pass():
    assert screening.review_problems({"land": "fails"}, {}) == ["“用地”评为“不符合”，请写明意见。"]
    assert screening.review_problems({}, {}) == ["请至少评估一项初审标准。"]
    all_met = dict.fromkeys(screening.CRITERIA, "meets")
    assert screening.clears_screening(all_met)
    later = screening.merged_assessments([all_met, {"land": "fails"}])
    assert later["land"] == "fails" and not screening.clears_screening(later)
    assert not screening.clears_screening({"necessity": "meets"})


def test_similar_titles_in_the_same_place_are_flagged_and_other_places_are_not():
    here = ("城关镇", "东岭村")
    assert similarity.is_similar("东岭村道路硬化工程", here, "关于东岭村道路硬化的建议", here)
    assert similarity.is_similar("东岭村道路硬化", here, "东岭村道路硬化", ("城关镇", ""))
    assert not similarity.is_similar("东岭村道路硬化", here, "东岭村道路硬化", ("溪口镇", "东岭村"))
    assert not similarity.is_similar("东岭村道路硬化", here, "城关幼儿园扩班", here)


def test_a_proposal_form_reports_each_bad_field_by_name_and_keeps_good_text():
    proposal, problems = parse_proposal({"title": "修", "description": "短", "township": "", "category": "x",
                                         "cost_wan": "很多", "beneficiaries": "-3"}, channel="online")
    assert proposal is None
    assert set(problems) == {"title", "description", "township", "category", "cost_wan", "beneficiaries"}
    assert problems["title"] == "项目名称至少 4 个字。" and problems["township"] == "请填写乡镇（街道）。"
    proposal, problems = parse_proposal({
        "title": " 东岭村\u202e道路  硬化 ", "description": "全长 3 公里，\n\n\n\n雨天泥泞。", "township": "城关镇",
        "category": "交通出行", "cost_wan": "1,200", "beneficiaries": "3000", "channel": "代表联络站"})
    assert problems == {}
    assert proposal.title == "东岭村 道路 硬化" and proposal.description == "全长 3 公里，\n\n雨天泥泞。"
    assert (proposal.category, proposal.channel, proposal.cost_wan) == ("transport", "liaison_station", 1200)
    _, problems = parse_proposal({"title": "长" * 61, "description": "内容" * 10, "township": "城关镇",
                                  "category": "other", "channel": "online"})
    assert problems == {"title": "项目名称不能超过 60 字（现在 61 字）。"}


def test_a_project_is_never_terminated_suspended_or_resumed_without_a_decision():
    for m in stages.PROJECT_MOVES:
        if m.target in ("terminated", "suspended") or (m.source, m.target) == ("suspended", "implementing"):
            assert m.reason_required
            if m.roles == stages.SYSTEM:  # only a corrected count, and only before a plan is out
                assert m.needs == {"poll"} and (m.source, m.target) == ("planning", "terminated")
            else:
                assert "decision" in m.needs and not m.roles & stages.SYSTEM


def test_only_a_corrected_count_withdraws_a_project_by_itself():
    with pytest.raises(stages.MoveRefused, match="只有票决结果的更正能撤销项目"):
        stages.check_project_move("planning", "terminated", "system", reason="更正")
    with pytest.raises(stages.MoveRefused, match="系统不能终止项目"):
        stages.check_project_move("implementing", "terminated", "system", reason="更正", facts=frozenset({"poll"}))
    assert stages.check_project_move("planning", "terminated", "system", reason="更正",
                                     facts=frozenset({"poll"})).label == "票决结果更正，项目撤销"
    with pytest.raises(stages.MoveRefused, match="须先录入常委会"):
        stages.check_project_move("planning", "terminated", "secretariat", reason="不再实施", facts=frozenset({"poll"}))
