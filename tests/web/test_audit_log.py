"""The console's audit log reads as Chinese: a label for every action and every detail key the code
records (read from the code itself, so a new one cannot slip through), values worded, ids named."""

import ast
import html
import re
from pathlib import Path

from tests.hall import STAFF, login_staff
from voting import audit, ballot_box, polls, scrutiny
from voting.poll_settings import CandidateInput, PollSettings
from voting.tables import Deputy, Poll
from tests import sealed

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("voting", "lifecycle", "web", "reports")


def record_calls():
    """(file, line, action node, detail node or None) for every `audit.record(...)` in the code."""
    files = [p for package in PACKAGES for p in (ROOT / package).rglob("*.py")] + [ROOT / "app.py"]
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "record" \
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "audit":
                keywords = {k.arg: k.value for k in node.keywords}
                action = node.args[1] if len(node.args) > 1 else keywords.get("action")
                detail = node.args[3] if len(node.args) > 3 else keywords.get("detail")
                yield path.relative_to(ROOT), node.lineno, action, detail, tree


def dict_keys(node, tree):
    """The keys a recorded detail can have: a dict literal's, or the literal a name was given."""
    if isinstance(node, ast.Name):  # detail=values: the dict assigned to that name
        assigned = [a.value for a in ast.walk(tree) if isinstance(a, (ast.Assign, ast.AnnAssign))
                    and any(isinstance(t, ast.Name) and t.id == node.id
                            for t in (a.targets if isinstance(a, ast.Assign) else [a.target]))
                    and isinstance(a.value, ast.Dict)]
        assert assigned, f"cannot see the keys of detail={node.id}"
        return [k for d in assigned for k in dict_keys(d, tree)]
    if isinstance(node, ast.Dict):
        keys = []
        for key in node.keys:
            if key is None:  # **spread: checked below for the one place that does it
                continue
            assert isinstance(key, ast.Constant), ast.unparse(node)
            keys.append(key.value)
        return keys
    return []


def test_every_recorded_action_and_detail_key_has_a_chinese_label():
    calls = list(record_calls())
    assert len(calls) > 50  # the scan found the code
    missing_actions, missing_keys = [], []
    for path, line, action, detail, tree in calls:
        if isinstance(action, ast.IfExp):  # "a" if … else "b": both must have labels
            for branch in (action.body, action.orelse):
                if not (isinstance(branch, ast.Constant) and branch.value in audit.ACTION_LABELS):
                    missing_actions.append(f"{path}:{line} {ast.unparse(branch)}")
        elif isinstance(action, ast.Constant):
            if action.value not in audit.ACTION_LABELS:
                missing_actions.append(f"{path}:{line} {action.value}")
        elif isinstance(action, ast.JoinedStr):  # e.g. f"proposal_{kind}": some labelled action must fit
            pattern = "".join(re.escape(v.value) if isinstance(v, ast.Constant) else ".+" for v in action.values)
            if not any(re.fullmatch(pattern, name) for name in audit.ACTION_LABELS):
                missing_actions.append(f"{path}:{line} {ast.unparse(action)}")
        else:
            missing_actions.append(f"{path}:{line} an action the test cannot read: {ast.unparse(action)}")
        for key in dict_keys(detail, tree) if detail is not None else []:
            if key not in audit.DETAIL_LABELS:
                missing_keys.append(f"{path}:{line} {key}")
    assert not missing_actions, "actions with no label in voting/audit.py ACTION_LABELS:\n" + "\n".join(missing_actions)
    assert not missing_keys, "detail keys with no label in voting/audit.py DETAIL_LABELS:\n" + "\n".join(missing_keys)


def test_the_spread_and_inner_keys_have_labels_too():
    from lifecycle.proposals import MEETING_KINDS
    from voting import rehearsal_data

    assert all(f"proposal_{kind}" in audit.ACTION_LABELS for kind in MEETING_KINDS)
    from lifecycle.publicity import CORRECTABLE  # the keys of proposal_corrected's detail
    assert set(CORRECTABLE) <= set(audit.DETAIL_LABELS), set(CORRECTABLE) - set(audit.DETAIL_LABELS)
    source = ast.parse((ROOT / "voting/rehearsal_data.py").read_text(encoding="utf-8"))
    removed = {label for label, *_ in rehearsal_data._STEPS} | {
        n.args[0].value for n in ast.walk(source) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
        and n.func.id == "delete" and n.args and isinstance(n.args[0], ast.Constant)}
    assert removed and removed <= set(audit.DETAIL_LABELS), removed - set(audit.DETAIL_LABELS)
    from voting.polls import _settings_columns  # the keys of poll_rules_changed's `changed`
    settings = PollSettings("x", "approval", 1, None, False, "entitled", "1/2", True, "2/3",
                            candidates=(CandidateInput("a"), CandidateInput("b")))
    columns = {c._meta.name for c in _settings_columns(settings)}
    assert columns <= set(audit.DETAIL_LABELS), columns - set(audit.DETAIL_LABELS)


def cells(page_html: str) -> list[str]:
    """The 详情 cell of each row, as text."""
    found = re.findall(r'<td class="small audit-detail">(.*?)</td></tr>', page_html, re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", c)) for c in found]


async def test_the_audit_log_shows_details_as_readable_chinese(client, hall):
    await hall.check_in(*hall.deputy_ids[:25])
    poll_id = await hall.poll(candidates=3, seats=1, open_=False, title="村道硬化")
    poll = await polls.get_poll(poll_id)
    changed = PollSettings("村道硬化改造", "approval", 1, None, False, "entitled", "1/2", False, "2/3",
                           candidates=tuple(CandidateInput(c["title"]) for c in await polls.candidates_of(poll_id)),
                           show_running_totals=True)
    await polls.update_poll(poll_id, changed, STAFF, "按主席团意见")
    await sealed.open_poll(poll_id, STAFF)
    for deputy in hall.deputy_ids[:20]:
        await sealed.cast(poll_id, deputy, {"P01": "for"})
    await sealed.close_poll(poll_id, STAFF)
    chief, scrutineer, counter = hall.deputy_ids[:3]
    await scrutiny.set_members(hall.session_id, chief, [scrutineer], [counter], STAFF)
    names = {d["id"]: f"{d['name']}（{d['number']}）" for d in await Deputy.select(Deputy.id, Deputy.name, Deputy.number)
             .where(Deputy.id.is_in([chief, scrutineer, counter]))}
    await login_staff(client)

    page = (await client.get("/console/audit", params={"action": "scrutiny_set"})).text
    assert f"总监票人：{names[chief]}" in cells(page)[0] and f"监票人：{names[scrutineer]}" in cells(page)[0]
    assert f"计票人：{names[counter]}" in cells(page)[0]

    page = (await client.get("/console/audit", params={"action": "poll_rules_changed"})).text
    text = cells(page)[0]
    assert "修改内容：名称：村道硬化 → 村道硬化改造" in text
    assert "须超过比例：是 → 否" in text and "大屏显示实时票数：否 → 是" in text
    assert "候选项目：候选项目01、候选项目02、候选项目03" in text

    page = (await client.get("/console/audit", params={"action": "poll_closed"})).text
    text = cells(page)[0]
    assert "计票结论：有效" in text and "收回选票：20" in text and "确定的项目：P01" in text

    page = (await client.get("/console/audit", params={"action": "check_in"})).text
    session = (await client.get(f"/console/sessions/{hall.session_id}")).text
    assert "方式：秘书处代为签到" in cells(page)[0] and "会议：" in cells(page)[0]
    session_named = re.search(r"(?<!全体)会议：(.+?)(?=全体会议：|方式：)", cells(page)[0]).group(1)
    assert session_named.strip("；;， ") in session  # the session's name, not its id
    assert "全体会议：第一次全体会议" in cells(page)[0]  # the sitting's name, not its id

    page = (await client.get("/console/audit", params={"action": "poll_created"})).text
    assert "投票方式：差额票决" in cells(page)[0] and "应选数：1" in cells(page)[0]

    whole = (await client.get("/console/audit")).text
    shown = cells(whole)
    assert shown and all(not re.search(r'[{}\[\]"]|\\u[0-9a-f]{4}', c) for c in shown), shown
    for raw in ("runoff_poll", "threshold_strict", "show_running_totals", "candidates", "scrutineers", "client"):
        assert all(raw not in c for c in shown), raw
    assert poll["ref"] in whole
    assert await Poll.exists().where(Poll.id == poll_id)


async def test_a_removed_record_and_unknown_codes_still_read(client):
    from web import audit_log

    entries = [{"action": "runoff_opened", "detail": '{"runoff_poll": 987654, "seats": 1, "candidates": ["P02", "P03"]}'},
               {"action": "rehearsal_removed", "detail": {"congress": 1, "polls": 2, "deputies": 30}},
               {"action": "paper_ballot_issued", "detail": {"deputy": "D007", "switched_from_tablet": True}},
               {"action": "some_new_action", "detail": {"mystery": None}}]
    lines = [dict(e["lines"]) for e in await audit_log.described(entries)]
    assert lines[0] == {"另行票决": "第 987654 号（已不存在）", "应选数": "1", "候选项目": "P02、P03"}
    assert lines[1] == {"人大": "1", "票决": "2", "代表": "30"}  # counts of rows removed, never names
    assert lines[2] == {"代表": "D007", "由平板改发纸质选票": "是"}
    assert lines[3] == {"mystery": "—"}
