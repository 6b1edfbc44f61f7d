"""The JSON API answers every error in Chinese problem details; every page has the app's icon."""

import re

import pytest

from tests.hall import login_staff

ENGLISH = re.compile(r"[A-Za-z]{4,}")  # a word of Litestar's own English ("Not Found", "Method")


def chinese_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == status
    for key in ("title", "detail"):
        assert re.search(r"[\u4e00-\u9fff]", problem[key]), problem
        assert not ENGLISH.search(problem[key].replace("application/json", "")), problem
    return problem


@pytest.mark.parametrize("path", ["/api/nonexistent", "/api/polls/999999", "/api/polls/abc/result",
                                  "/api/polls/1/result/more"])
async def test_an_unknown_api_address_is_a_chinese_404(client, path):
    problem = chinese_problem(await client.get(path), 404)
    assert "没有找到" in problem["title"] and "页面" not in problem["title"]


async def test_a_missing_poll_and_other_api_errors_are_in_chinese(client):
    await login_staff(client)
    problem = chinese_problem(await client.get("/api/polls/999999/result"), 404)
    assert problem["detail"] == "没有这次票决。" and problem["code"] == "not_found"
    chinese_problem(await client.delete("/api/polls/1/result"), 405)
    malformed = await client.post("/api/polls/1/ballot", content=b"{bad", headers={"content-type": "application/json"})
    chinese_problem(malformed, 400)
    form = await client.post("/api/polls/1/ballot", data={"marks": "x"})
    assert chinese_problem(form, 415)["detail"] == "请求体必须是 application/json。"  # our own words are kept


async def test_an_unknown_page_outside_the_api_stays_a_page(client):
    response = await client.get("/nothing-here")
    assert response.status_code == 404 and response.headers["content-type"].startswith("text/html")
    assert "没有找到您要的页面" in response.text


async def test_the_icon_is_served_from_static_and_named_by_every_page(client):
    icon = await client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.content.startswith(b"<svg") and b"http://" not in icon.content.replace(b"http://www.w3.org", b"")
    assert (await client.get("/static/favicon.svg")).content == icon.content
    for path in ("/tablet/login", "/console/login", "/public", "/nothing-here"):
        page = await client.get(path)
        assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page.text, path
