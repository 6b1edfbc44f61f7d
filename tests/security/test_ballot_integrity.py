"""One deputy, one ballot, in their own name only.

Already covered, not repeated: a replayed cast through the same door answers 409 (the tablet
form and the JSON API, tests/web/test_tablet.py), fifty simultaneous casts by one deputy make one
ballot (tests/web/test_concurrency.py), a deputy not checked in is refused the ballot page
(test_tablet.py), a paper ballot taken blocks the tablet (tests/voting/test_ballot_box.py),
nothing links a deputy to a ballot (tests/web/test_secrecy.py).

Added here: naming another deputy in every field a request can carry changes nothing (the
ballot box takes the deputy from the login only); a replay through the *other* door; a cast
sent straight to the form or the API by a deputy not checked in, by a deputy of another
congress, and with a forged login cookie.
"""

from __future__ import annotations

import secrets

from tests.hall import api_cast, cast_on_tablet, csrf_of, login_deputy, make_hall, seal_for_page
from tests.security.world import browser
from voting import ballot_box
from voting.tables import SealedBallot
from web.auth import COOKIE


def impersonating(hall, other: int) -> dict[str, str]:
    """Every way a request might try to say who is voting."""
    return {"deputy": str(other), "deputy_id": str(other), "voter": str(other), "voter_id": str(other),
            "number": hall.numbers[other], "code": hall.codes[other], "as": str(other), "id": str(other)}


async def ballots(poll_id: int) -> int:
    return await SealedBallot.count().where(SealedBallot.poll == poll_id)


async def test_naming_another_deputy_anywhere_casts_only_the_logged_in_deputys_ballot():
    hall = await make_hall(deputies=6)
    poll_id = await hall.poll(candidates=3, seats=1)
    me, other, third = hall.deputy_ids[:3]
    await hall.check_in(me, other, third)
    fake = impersonating(hall, other)

    tablet = browser()
    try:
        await login_deputy(tablet, hall.codes[me])
        named = {"x-deputy": str(other), "x-deputy-id": str(other)}
        page = await tablet.get(f"/tablet/polls/{poll_id}", params=fake, headers=named)
        box, login = seal_for_page(page, {"P01": "for"})
        done = await tablet.post(f"/tablet/polls/{poll_id}/cast", params=fake, headers=named, follow_redirects=True,
                                 data={"sealed": box, "login": login, "_csrf_token": csrf_of(tablet), **fake})
        assert done.status_code == 200 and "您的选票已投入票箱" in done.text
        assert await ballot_box.has_voted(poll_id, me) and not await ballot_box.has_voted(poll_id, other)
        assert await ballots(poll_id) == 1
        # The same deputy again through the other door: the JSON API.
        again = await api_cast(tablet, poll_id, {"P02": "for"})
        assert again.status_code == 409 and "已投票" in again.json()["detail"]
    finally:
        await tablet.aclose()

    api = browser()
    try:
        login = await api.post("/api/tablet/login", json={"code": hall.codes[third], "deputy": other})
        assert login.status_code == 200 and login.json()["deputy"] == hall.numbers[third]
        cast = await api_cast(api, poll_id, {"P02": "for"}, **{**fake, "deputy": other, "deputy_id": other})
        assert cast.status_code == 201, cast.text
        assert await ballot_box.has_voted(poll_id, third) and not await ballot_box.has_voted(poll_id, other)
        # ... and back through the tablet's form.
        await api.get("/tablet/login")  # the CSRF cookie a form needs
        form = await api.get(f"/tablet/polls/{poll_id}")
        assert "已投票" in form.text and "确认投票" not in form.text
    finally:
        await api.aclose()
    assert await ballots(poll_id) == 2

    # The deputy named in all those fields still has their own ballot to cast.
    owner = browser()
    try:
        await login_deputy(owner, hall.codes[other])
        mine = await cast_on_tablet(owner, poll_id, {"P03": "for"})
        assert mine.status_code == 200 and "您的选票已投入票箱" in mine.text
    finally:
        await owner.aclose()
    assert await ballots(poll_id) == 3


async def test_a_cast_sent_straight_past_the_pages_is_refused_without_a_check_in():
    hall = await make_hall(deputies=4)
    poll_id = await hall.poll(candidates=3, seats=1)
    absent = hall.deputy_ids[0]
    client = browser()
    try:
        await login_deputy(client, hall.codes[absent])
        form = await client.get(f"/tablet/polls/{poll_id}")
        assert form.status_code == 409 and "尚未签到" in form.text
        sealing = (await client.get(f"/api/polls/{poll_id}/ballot")).json()
        from voting import secrecy
        from web.auth import login_tag
        box = secrecy.seal_marks(bytes.fromhex(sealing["public_key"]), sealing["poll"], {"P01": "for"}, 3)
        cast = await client.post(f"/tablet/polls/{poll_id}/cast", follow_redirects=True,
                                 data={"sealed": box, "login": login_tag(client.cookies.get(COOKIE)),
                                       "_csrf_token": csrf_of(client)})
        assert cast.status_code == 409 and "尚未签到" in cast.text
        api = await api_cast(client, poll_id, {"P01": "for"})
        assert api.status_code == 400 and api.json()["code"] == "not_present"
    finally:
        await client.aclose()
    assert await ballots(poll_id) == 0 and not await ballot_box.has_voted(poll_id, absent)


async def test_a_deputy_of_another_congress_and_a_forged_cookie_cast_nothing():
    hall, elsewhere = await make_hall(deputies=4), await make_hall(deputies=2)
    poll_id = await hall.poll(candidates=3, seats=1)
    await hall.check_in()
    await elsewhere.check_in()
    stranger = browser()
    try:
        await login_deputy(stranger, elsewhere.codes[elsewhere.deputy_ids[0]])
        for form in (await stranger.get(f"/tablet/polls/{poll_id}"),
                     await stranger.post(f"/tablet/polls/{poll_id}/cast",
                                         data={"sealed": "x", "login": "x", "_csrf_token": csrf_of(stranger)})):
            assert form.status_code == 400 and "不属于您所在的会议" in form.text
        api = await api_cast(stranger, poll_id, {"P01": "for"})
        assert api.status_code == 400 and api.json()["code"] == "not_present"
    finally:
        await stranger.aclose()
    forger = browser()
    try:
        forger.cookies.set(COOKIE, secrets.token_urlsafe(32), domain="hall.local")
        api = await forger.post(f"/api/polls/{poll_id}/ballot", json={"sealed": "x"})
        assert api.status_code == 401
        await forger.get("/tablet/login")
        form = await forger.post(f"/tablet/polls/{poll_id}/cast", data={"sealed": "x", "_csrf_token": csrf_of(forger)})
        assert form.status_code in (302, 303) and form.headers["location"].endswith("/tablet/login")
    finally:
        await forger.aclose()
    assert await ballots(poll_id) == 0
