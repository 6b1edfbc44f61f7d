"""Login cards: a PDF whose codes and QR links log the right deputy in, and old codes stop working."""

import io
import re

from pypdf import PdfReader

from tests.hall import csrf_of, login_staff
from tests.reports.pages import look


async def test_printed_cards_carry_working_codes_for_every_deputy(client, hall):
    await login_staff(client)
    response = await client.post(f"/console/sessions/{hall.session_id}/login-cards",
                                 data={"_csrf_token": csrf_of(client)})
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
