"""The steps of a project's life as the public page draws them (the stepper), from its stage — pure.

The stage decides which step is under way; what is on record (`notes`, one line per step: a date,
a verdict, a count) decorates the steps. So the stepper agrees with the stage everywhere: an
accepted project's works are done whatever its last report said; an evaluation is under way only
while a satisfaction poll on it is not counted yet (before that it is waiting to be arranged); the
upkeep begins with the warranty at acceptance, beside the evaluation; inspections go alongside the
works rather than after them.

States: `done`, `current` (under way), `waiting` (its turn, not arranged yet), `todo`, `none` (its
time has passed with nothing on record: no inspection was made).
"""

from __future__ import annotations

from typing import Any

LIFE_STEPS = (("proposal", "提出建议"), ("vote", "票决确定"), ("plan", "公布实施方案"), ("progress", "实施进度"),
              ("inspection", "视察监督"), ("acceptance", "验收"), ("evaluation", "满意度测评"),
              ("maintenance", "运维管护"))
STEP_OF_STAGE = {"planning": "plan", "implementing": "progress", "suspended": "progress", "completed": "acceptance",
                 "accepted": "evaluation", "evaluated": "maintenance"}
UNDER_WAY_NOTES = {"plan": "编制中", "progress": "进行中", "acceptance": "待验收", "evaluation": "测评中",
                   "maintenance": "管护中"}
WORKS = ("implementing", "suspended", "completed")  # inspections go on while the works do


def life_steps(stage: str, notes: dict[str, str], *, evaluation_pending: bool = False,
               warranty_until: str = "") -> list[dict[str, Any]]:
    """One dict per step of LIFE_STEPS: key, label, state, and the note to show."""
    order = [key for key, _ in LIFE_STEPS]
    current = STEP_OF_STAGE.get(stage)
    at = order.index(current) if current else -1
    steps = []
    for n, (key, label) in enumerate(LIFE_STEPS):
        note = notes.get(key, "")
        if current is None:  # terminated: what was done stays done, nothing else is under way
            state, note = ("done", note) if note else ("todo", "项目已终止")
        elif key == "inspection":
            state = "done" if note else "current" if stage in WORKS else "todo" if stage == "planning" else "none"
            note = note or {"current": "监督小组可随时视察", "todo": "尚未开始", "none": "无视察记录"}[state]
        elif key == "maintenance" and stage == "accepted" and warranty_until:
            state, note = "current", f"质保期至 {warranty_until}"  # the upkeep starts with the warranty
        elif n < at:
            state, note = "done", note or "已完成"
        elif n > at:
            state, note = "todo", "尚未开始"
        elif key == "evaluation" and not evaluation_pending:
            state, note = "waiting", "待安排测评"
        elif key == "progress" and stage == "suspended":
            state, note = "current", "暂停实施"
        else:
            state, note = "current", (note if key == "maintenance" and note else UNDER_WAY_NOTES[key])
        steps.append({"key": key, "label": label, "state": state, "note": note})
    return steps
