"""Screening (初审): the criteria a proposal is assessed against, and when a review is complete.

Pure. The criteria are the ones counties publish (domain.md, stage 2): necessity,
feasibility, fiscal affordability within the year's budget, environment, land, public
safety, completable within the year, not on the negative list.
"""

from __future__ import annotations

from collections.abc import Mapping

CRITERIA: dict[str, str] = {
    "necessity": "必要性（群众需求迫切、受益面广）",
    "feasibility": "可行性（技术、实施条件具备）",
    "affordability": "财力可承受（在年度预算内）",
    "environment": "环境影响",
    "land": "用地",
    "safety": "公共安全",
    "within_year": "当年可完成",
    "not_negative_list": "不属负面清单",
}
ASSESSMENTS: dict[str, str] = {"meets": "符合", "concern": "需关注", "fails": "不符合"}
MAX_COMMENT = 500


def review_problems(assessments: Mapping[str, str], comments: Mapping[str, str]) -> list[str]:
    """What is wrong with a review as entered; empty when it can be recorded.

    A review may be partial (a department assesses what it knows), but every value must
    be one of ASSESSMENTS, a criterion judged 不符合 or 需关注 needs a comment saying why,
    and comments have a length limit.
    """
    problems = []
    for key, value in assessments.items():
        if key not in CRITERIA:
            problems.append("未知的初审标准。")
        elif value and value not in ASSESSMENTS:
            problems.append(f"“{CRITERIA[key]}”的评估无效。")
        elif value in ("fails", "concern") and not comments.get(key, "").strip():
            problems.append(f"“{CRITERIA[key]}”评为“{ASSESSMENTS[value]}”，请写明意见。")
    for key, text in comments.items():
        if key in CRITERIA and len(text) > MAX_COMMENT:
            problems.append(f"“{CRITERIA[key]}”的意见不能超过 {MAX_COMMENT} 字。")
    if not any(assessments.get(key) for key in CRITERIA):
        problems.append("请至少评估一项初审标准。")
    return problems


def merged_assessments(reviews: list[Mapping[str, str]]) -> dict[str, str]:
    """The standing assessment per criterion over several reviews, latest first wins."""
    standing: dict[str, str] = {}
    for review in reviews:  # oldest first
        for key, value in review.items():
            if key in CRITERIA and value:
                standing[key] = value
    return standing


def clears_screening(standing: Mapping[str, str]) -> bool:
    """Every criterion assessed and none failed: the `review` fact of lifecycle.stages."""
    return all(standing.get(key) in ("meets", "concern") for key in CRITERIA)
