"""Login cards: a PDF whose codes and QR links log the right deputy in, and old codes stop working."""

import io
import re

from pypdf import PdfReader

from tests.hall import csrf_of, login_staff
from tests.reports.pages import look


async def test_printed_cards_carry_working_codes_for_every_deputy(client, hall):
    await login_staff(client)
    page = await client.get(f"/console/sessions/{hall.session_id}/deputies")
    assert "没有设置平板访问地址" in page.text and 'name="address_ok" value="http://hall.local"' in page.text
    unconfirmed = await client.post(f"/console/sessions/{hall.session_id}/login-cards",
                                    data={"_csrf_token": csrf_of(client)})
    assert unconfirmed.status_code == 400 and "请在打印表单中勾选确认" in unconfirmed.text
    response = await client.post(f"/console/sessions/{hall.session_id}/login-cards",
                                 data={"_csrf_token": csrf_of(client), "address_ok": "http://hall.local"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    look(response.content, "login-cards", resolution=50, keep_pdf=True)
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 4  # 30 deputies, 8 cards a page
    text = "\n".join(page.extract_text() for page in reader.pages)
    codes = re.findall(r"\b(\d{4} \d{4})\b", text)
    assert len(codes) == 30 and len(set(codes)) == 30
    for number in hall.numbers.values():
        assert number in text
    # The first card's code logs its deputy in; the codes from before printing no longer work.
    first_number = sorted(hall.numbers.values())[0]
    client.cookies.clear()
    await client.get("/tablet/login")
    old = await client.post("/tablet/login", data={"code": hall.codes[hall.deputy_ids[0]],
                                                   "_csrf_token": csrf_of(client)})
    assert "登录码不正确" in old.text
    code = re.search(r"\d{4} \d{4}", text[text.index(first_number):]).group(0)
    new = await client.post("/tablet/login", data={"code": code, "_csrf_token": csrf_of(client)})
    assert new.status_code in (302, 303)
    home = await client.get("/tablet/")
    assert first_number in home.text


async def test_the_address_on_the_cards_is_the_configured_one_and_a_loopback_one_is_questioned(client, hall,
                                                                                                 monkeypatch):
    from config import settings

    await login_staff(client)
    at = f"/console/sessions/{hall.session_id}/login-cards"
    try:
        monkeypatch.setenv("PIAOJUE_PUBLIC_URL", "https://192.168.10.2:8443/")
        settings.cache_clear()
        page = await client.get(f"/console/sessions/{hall.session_id}/deputies")
        assert "https://192.168.10.2:8443</span>" in page.text and 'name="address_ok"' not in page.text
        cards = await client.post(at, data={"_csrf_token": csrf_of(client)})
        assert cards.status_code == 200
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(cards.content)).pages)
        assert "https://192.168.10.2:8443/tablet/login" in re.sub(r"\s+", "", text) and "hall.local" not in text

        monkeypatch.setenv("PIAOJUE_PUBLIC_URL", "http://127.0.0.1:8000")
        settings.cache_clear()
        refused = await client.post(at, data={"_csrf_token": csrf_of(client)})
        assert refused.status_code == 400 and "本机回环地址，平板无法访问" in refused.text
        meant = await client.post(at, data={"_csrf_token": csrf_of(client), "address_ok": "http://127.0.0.1:8000"})
        assert meant.status_code == 200
    finally:
        monkeypatch.delenv("PIAOJUE_PUBLIC_URL")
        settings.cache_clear()
