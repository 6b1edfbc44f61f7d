"""The public stepper agrees with the stage everywhere (lifecycle.life_steps)."""

import pytest

from lifecycle.life_steps import LIFE_STEPS, life_steps

NOTES = {"proposal": "2026-03-01", "vote": "2026-12-10", "plan": "2027-01-20", "progress": "二季度 完成 60%",
         "inspection": "视察 1 次", "acceptance": "", "evaluation": "", "maintenance": ""}


def states(stage, notes=NOTES, **more):
    return {s["key"]: (s["state"], s["note"]) for s in life_steps(stage, notes, **more)}


def test_the_step_under_way_is_the_stage_s_and_everything_before_it_is_done():
    assert [s["key"] for s in life_steps("planning", {})] == [key for key, _ in LIFE_STEPS]
    planning = states("planning", {"proposal": "2026-03-01", "vote": "2026-12-10"})
    assert planning["plan"] == ("current", "编制中") and planning["progress"] == ("todo", "尚未开始")
    assert planning["inspection"] == ("todo", "尚未开始")
    works = states("implementing")
    assert works["progress"] == ("current", "进行中") and works["inspection"] == ("done", "视察 1 次")
    assert states("suspended")["progress"] == ("current", "暂停实施")
    assert states("completed")["acceptance"] == ("current", "待验收")
    assert states("completed")["progress"] == ("done", "二季度 完成 60%")


def test_an_accepted_project_shows_no_works_in_progress_and_waits_for_its_evaluation():
    accepted = states("accepted", {**NOTES, "acceptance": "2027-11-02 验收通过"})
    assert accepted["progress"][0] == "done" and accepted["acceptance"] == ("done", "2027-11-02 验收通过")
    assert accepted["evaluation"] == ("waiting", "待安排测评")  # no poll exists yet
    assert accepted["maintenance"] == ("todo", "尚未开始")
    arranged = states("accepted", evaluation_pending=True, warranty_until="2029年11月2日")
    assert arranged["evaluation"] == ("current", "测评中")
    assert arranged["maintenance"] == ("current", "质保期至 2029年11月2日")  # upkeep starts with the warranty


def test_after_the_works_a_project_never_inspected_says_so():
    assert states("accepted", {**NOTES, "inspection": ""})["inspection"] == ("none", "无视察记录")
    assert states("implementing", {**NOTES, "inspection": ""})["inspection"] == ("current", "监督小组可随时视察")


def test_an_evaluated_project_is_in_upkeep_and_a_terminated_one_has_nothing_under_way():
    evaluated = states("evaluated", {**NOTES, "acceptance": "验收通过", "evaluation": "满意"})
    assert evaluated["evaluation"] == ("done", "满意") and evaluated["maintenance"] == ("current", "管护中")
    assert states("evaluated", {**NOTES, "maintenance": "管护员 2 名"})["maintenance"] == ("current", "管护员 2 名")
    stopped = states("terminated", {"proposal": "2026-03-01", "vote": "2026-12-10"})
    assert stopped["vote"] == ("done", "2026-12-10")
    assert {state for key, (state, _) in stopped.items() if key not in ("proposal", "vote")} == {"todo"}


@pytest.mark.parametrize("stage", ["planning", "implementing", "suspended", "completed", "accepted", "evaluated",
                                   "terminated"])
def test_at_most_one_step_of_the_works_is_under_way_and_nothing_after_it_is_done(stage):
    steps = life_steps(stage, NOTES)
    main = [s for s in steps if s["key"] not in ("inspection", "maintenance")]  # these two go alongside
    assert sum(s["state"] in ("current", "waiting") for s in main) == (0 if stage in ("terminated", "evaluated") else 1)
    if stage not in ("terminated", "evaluated"):
        at = next(n for n, s in enumerate(main) if s["state"] in ("current", "waiting"))
        assert all(s["state"] == "done" for s in main[:at]) and all(s["state"] == "todo" for s in main[at + 1:])
