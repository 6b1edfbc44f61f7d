"""The stage policy, pinned by a table written here by hand, independently of lifecycle.stages.

`MOVES` and `PROJECT_MOVES` in production could be changed (a department allowed to put a candidate
back on the shortlist, a role added to a withdrawal) and every test derived from them would follow
the change. These tables do not: each allowed move is written out with who may make it, whether a
reason is needed and what must be on record; every (stage, target, role) not written here must be
refused. A change to the policy is a change to this file too, made on purpose.
"""

from itertools import product

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lifecycle import stages
from lifecycle.stages import MoveRefused

SCREENERS = ("screener", "secretariat", "admin")  # 初审部门: an implementing department screens nothing
SECRETARIAT = ("secretariat", "admin")
SYSTEM = ("system",)
STAFF = ("department", "secretariat", "admin")

# (from, to): (who may, reason required, what must be on record)
PROPOSAL_POLICY: dict[tuple[str, str], tuple[tuple[str, ...], bool, frozenset[str]]] = {
    ("submitted", "shortlisted"): (SCREENERS, False, frozenset({"review"})),
    ("submitted", "reserve"): (SCREENERS, True, frozenset()),
    ("submitted", "rejected"): (SCREENERS, True, frozenset()),
    ("submitted", "merged"): (SCREENERS, False, frozenset()),
    ("reserve", "shortlisted"): (SCREENERS, False, frozenset({"review"})),
    ("reserve", "rejected"): (SCREENERS, True, frozenset()),
    ("reserve", "merged"): (SCREENERS, False, frozenset()),
    ("shortlisted", "reserve"): (SCREENERS, True, frozenset()),
    ("shortlisted", "rejected"): (SCREENERS, True, frozenset()),
    # The candidate list is the secretariat's (for the presidium), never a screening department's.
    ("shortlisted", "candidate"): (SECRETARIAT, False, frozenset()),
    ("candidate", "shortlisted"): (SECRETARIAT, True, frozenset()),
    # Only the vote decides, and only a counted (or corrected) poll moves a proposal after it.
    ("candidate", "chosen"): (SYSTEM, False, frozenset({"poll"})),
    ("candidate", "reserve"): (SYSTEM, False, frozenset({"poll"})),
    ("chosen", "reserve"): (SYSTEM, False, frozenset({"poll"})),
    ("reserve", "chosen"): (SYSTEM, False, frozenset({"poll"})),
    ("chosen", "candidate"): (SYSTEM, False, frozenset({"poll"})),
    ("reserve", "candidate"): (SYSTEM, False, frozenset({"poll"})),
    ("rejected", "submitted"): (SECRETARIAT, True, frozenset()),
    # Voiding (a test entry, abuse) is the secretariat's alone, with a reason, and can be undone;
    # never once on the candidate list.
    ("submitted", "voided"): (SECRETARIAT, True, frozenset()),
    ("reserve", "voided"): (SECRETARIAT, True, frozenset()),
    ("shortlisted", "voided"): (SECRETARIAT, True, frozenset()),
    ("rejected", "voided"): (SECRETARIAT, True, frozenset()),
    ("voided", "submitted"): (SECRETARIAT, True, frozenset()),
}

PROJECT_POLICY: dict[tuple[str, str], dict[str, tuple[bool, frozenset[str]]]] = {
    # The department submits its plan; the secretariat, for the standing committee, publishes it.
    ("planning", "implementing"): dict.fromkeys(SECRETARIAT, (False, frozenset({"plan", "submitted"}))),
    ("implementing", "completed"): dict.fromkeys(STAFF, (False, frozenset({"milestones"}))),
    ("completed", "implementing"): dict.fromkeys(STAFF, (True, frozenset())),
    ("completed", "accepted"): dict.fromkeys(SECRETARIAT, (False, frozenset({"acceptance"}))),
    ("accepted", "evaluated"): dict.fromkeys(SYSTEM, (False, frozenset({"verdict"}))),
    ("implementing", "suspended"): dict.fromkeys(SECRETARIAT, (True, frozenset({"decision"}))),
    ("suspended", "implementing"): dict.fromkeys(SECRETARIAT, (True, frozenset({"decision"}))),
    ("implementing", "terminated"): dict.fromkeys(SECRETARIAT, (True, frozenset({"decision"}))),
    ("suspended", "terminated"): dict.fromkeys(SECRETARIAT, (True, frozenset({"decision"}))),
    # Terminating a project not yet under way: the standing committee's decision (the secretariat
    # records it), or the system when a corrected count takes the project's place away.
    ("planning", "terminated"): {**dict.fromkeys(SECRETARIAT, (True, frozenset({"decision"}))),
                                 "system": (True, frozenset({"poll"}))},
}

ROLES = ("citizen", "deputy", "screener", "department", "secretariat", "admin", "system")
PROPOSAL_STAGES = ("submitted", "shortlisted", "reserve", "rejected", "merged", "candidate", "chosen", "voided")
PROJECT_STAGES = ("planning", "implementing", "suspended", "completed", "accepted", "evaluated", "terminated")
PROJECT_FACTS = ("plan", "submitted", "milestones", "decision", "acceptance", "verdict", "poll")
PROPOSAL_FACTS = ("review", "poll")


def proposal_rule(source: str, target: str, role: str) -> tuple[bool, frozenset[str]] | None:
    row = PROPOSAL_POLICY.get((source, target))
    if row is None or role not in row[0]:
        return None
    return row[1], row[2]


def project_rule(source: str, target: str, role: str) -> tuple[bool, frozenset[str]] | None:
    return PROJECT_POLICY.get((source, target), {}).get(role)


def allowed(check, source: str, target: str, role: str, reason: str, facts: frozenset[str]) -> bool:
    try:
        check(source, target, role, reason=reason, facts=facts)
    except MoveRefused as refused:
        assert refused.message.strip(), (source, target, role)  # always says why
        return False
    return True


def test_the_stages_and_roles_are_the_ones_this_table_knows():
    assert set(stages.STAGES) == set(PROPOSAL_STAGES) and set(stages.PROJECT_STAGES) == set(PROJECT_STAGES)
    assert set(stages.ROLES) == set(ROLES)


@pytest.mark.parametrize("machine", ["proposal", "project"])
def test_every_stage_target_and_role_is_allowed_or_refused_exactly_as_the_table_says(machine):
    check, rule, stage_names, all_facts = {
        "proposal": (stages.check_move, proposal_rule, PROPOSAL_STAGES, PROPOSAL_FACTS),
        "project": (stages.check_project_move, project_rule, PROJECT_STAGES, PROJECT_FACTS),
    }[machine]
    wrong = []
    for source, target, role in product(stage_names, stage_names, ROLES):
        expected = rule(source, target, role)
        everything = frozenset(all_facts)
        if allowed(check, source, target, role, "有理由", everything) != (expected is not None):
            wrong.append(f"{source} → {target} by {role}: {'allowed' if expected is None else 'refused'}")
            continue
        if expected is None:
            continue
        reason_required, needs = expected
        if allowed(check, source, target, role, "  ", everything) == reason_required:
            wrong.append(f"{source} → {target} by {role}: reason {'not ' if reason_required else ''}asked")
        for need in needs:
            if allowed(check, source, target, role, "有理由", everything - {need}):
                wrong.append(f"{source} → {target} by {role}: allowed without {need}")
        if not allowed(check, source, target, role, "有理由", needs):
            wrong.append(f"{source} → {target} by {role}: refused with only {sorted(needs)} on record")
    assert wrong == [], "\n".join(wrong)


def test_a_department_never_makes_the_candidate_list_publishes_its_plan_or_decides_a_projects_fate():
    for source, target in [("shortlisted", "candidate"), ("candidate", "shortlisted")]:
        for role in ("screener", "department"):
            with pytest.raises(MoveRefused):
                stages.check_move(source, target, role, reason="理由", facts=frozenset(PROPOSAL_FACTS))
    for source, target in PROPOSAL_POLICY:  # an implementing department moves no proposal at all
        with pytest.raises(MoveRefused):
            stages.check_move(source, target, "department", reason="理由", facts=frozenset(PROPOSAL_FACTS))
    for target in ("terminated", "suspended", "accepted", "evaluated", "implementing"):
        for source in PROJECT_STAGES:
            if (source, target) == ("completed", "implementing"):
                continue  # sending its own completion back to work on is the department's to do
            with pytest.raises(MoveRefused):
                stages.check_project_move(source, target, "department", reason="理由",
                                          facts=frozenset(PROJECT_FACTS))


@given(st.sampled_from(PROJECT_STAGES), st.sampled_from(ROLES), st.text(max_size=3),
       st.frozensets(st.sampled_from(PROJECT_FACTS)), st.data())
def test_a_project_moves_as_the_role_may_with_what_is_on_record(source, role, reason, facts, data):
    """The move is chosen among those this role may make from here (or any target, half the time),
    so the system's withdrawal after a corrected count and every staff move are exercised."""
    mine = sorted(target for (s, target), roles in PROJECT_POLICY.items() if s == source and role in roles)
    target = data.draw(st.sampled_from(mine) if mine and data.draw(st.booleans()) else st.sampled_from(PROJECT_STAGES))
    expected = project_rule(source, target, role)
    ok = expected is not None and (bool(reason.strip()) or not expected[0]) and expected[1] <= facts
    assert allowed(stages.check_project_move, source, target, role, reason, facts) == ok


@given(st.sampled_from(PROPOSAL_STAGES), st.sampled_from(ROLES), st.text(max_size=3),
       st.frozensets(st.sampled_from(PROPOSAL_FACTS)), st.data())
def test_a_proposal_moves_as_the_role_may_with_what_is_on_record(source, role, reason, facts, data):
    mine = sorted(target for (s, target), row in PROPOSAL_POLICY.items() if s == source and role in row[0])
    target = data.draw(st.sampled_from(mine) if mine and data.draw(st.booleans()) else st.sampled_from(PROPOSAL_STAGES))
    expected = proposal_rule(source, target, role)
    ok = expected is not None and (bool(reason.strip()) or not expected[0]) and expected[1] <= facts
    assert allowed(stages.check_move, source, target, role, reason, facts) == ok
