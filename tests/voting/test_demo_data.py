"""The 青溪县 demo data: sizes, uniqueness, validity and determinism."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import date

from voting import demo_data
from voting.roster_import import DeputyRow, parse_roster


def test_congress_term_session_poll():
    assert demo_data.CONGRESS["name"] == "青溪县人民代表大会"
    assert demo_data.CONGRESS["level"] == "county"
    assert demo_data.TERM["name"] == "第十九届" and demo_data.TERM["number"] == 19
    session = demo_data.SESSION
    assert session["name"] == "青溪县第十九届人民代表大会第三次会议"
    assert session["number"] == 3
    assert (session["starts_on"], session["ends_on"]) == (date(2025, 1, 15), date(2025, 1, 17))
    assert demo_data.TERM["starts_on"] <= session["starts_on"] <= demo_data.TERM["ends_on"]
    assert demo_data.POLL == {
        "title": "2025年青溪县民生实事项目票决",
        "method": "approval",
        "seats": 10,
        "candidates": 12,
    }


def test_delegations():
    names = demo_data.delegations()
    assert len(names) == 9 == len(set(names))
    assert all(n.endswith("代表团") for n in names)
    assert "县直机关代表团" in names


def test_deputies_roster():
    deputies = demo_data.deputies()
    assert len(deputies) == 231
    assert all(isinstance(d, DeputyRow) for d in deputies)
    assert [d.number for d in deputies] == [f"D{i:03d}" for i in range(1, 232)]
    assert len({d.name for d in deputies}) == 231
    assert len({d.phone for d in deputies}) == 231

    per_delegation = Counter(d.delegation for d in deputies)
    assert set(per_delegation) == set(demo_data.delegations())
    assert all(18 <= n <= 35 for n in per_delegation.values())
    assert len(set(per_delegation.values())) > 3  # uneven

    women = sum(d.gender == "女" for d in deputies)
    assert {d.gender for d in deputies} == {"男", "女"}
    assert 0.2 <= women / 231 <= 0.4

    for d in deputies:
        assert 2 <= len(d.name) <= 4
        assert re.fullmatch(r"1[358][0-9]{9}", d.phone)
        assert d.affiliation and len(d.affiliation) <= 100
    single = sum(len(d.name) == 2 for d in deputies)
    assert 0.05 * 231 < single < 0.4 * 231  # mostly two-character given names


def test_deputies_pass_the_roster_import():
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["代表证号", "姓名", "性别", "代表团", "工作单位及职务", "手机"])
    for d in demo_data.deputies():
        writer.writerow([d.number, d.name, d.gender, d.delegation, d.affiliation, d.phone])
    result = parse_roster("demo.csv", out.getvalue().encode("utf-8-sig"))
    assert result.errors == []
    assert result.rows == demo_data.deputies()


def test_candidate_projects():
    projects = demo_data.candidate_projects()
    assert len(projects) == 12 == demo_data.POLL["candidates"]
    assert [p["id"] for p in projects] == [f"P{i:02d}" for i in range(1, 13)]
    assert len({p["title"] for p in projects}) == 12
    for p in projects:
        assert set(p) >= {"id", "title", "summary", "location", "cost_wan", "category", "department"}
        assert 0 < len(p["title"]) <= 20
        assert 60 <= len(p["summary"]) <= 120
        assert isinstance(p["cost_wan"], int) and 80 <= p["cost_wan"] <= 3000
        assert p["location"] and p["category"] and p["department"].startswith("县")
    assert len({p["category"] for p in projects}) >= 8


def test_deterministic_and_fresh_copies():
    assert demo_data.deputies() == demo_data.deputies()
    assert demo_data.delegations() == demo_data.delegations()
    first = demo_data.candidate_projects()
    first[0]["title"] = "changed"
    assert demo_data.candidate_projects()[0]["title"] != "changed"
    roster = demo_data.deputies()
    roster.clear()
    assert len(demo_data.deputies()) == 231
