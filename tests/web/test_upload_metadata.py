"""Through the public proposal form: a citizen's phone photo is published without its metadata
(GPS position, phone, times, names) and the right way up, and a photo that cannot be decoded is
refused in Chinese with nothing stored (the metadata itself is tested in tests/lifecycle/test_uploads)."""

from __future__ import annotations

import io
from hashlib import sha256

from PIL import Image

from lifecycle import photos
from lifecycle.tables import Proposal, ProposalAttachment
from tests.lifecycle.test_uploads import RED, XMP, assert_no_metadata, damaged_photos, phone_photo
from tests.web.test_public import code_of, open_round, png, propose, uploads_kept





async def test_a_phone_photo_is_published_upright_without_its_location(citizen, hall):
    round_id = await open_round(hall)
    photo = phone_photo("JPEG", 6, xmp=XMP, comment="Zhang Xiuying")   # taken upright, GPS of the home
    assert b"GPS" in photo and b"Zhang Xiuying" in photo
    response = await propose(citizen, round_id, files=[("files", ("IMG_20250315_083000.jpg", photo, "image/jpeg"))],
                             title="村口排水沟加盖")
    assert response.status_code == 303, response.text[-2000:]
    code = code_of(await citizen.get(response.headers["location"]))
    row = await Proposal.select().where(Proposal.code == code).first()
    attachment = await ProposalAttachment.select().where(ProposalAttachment.proposal == row["id"]).first()
    assert attachment["kind"] == "jpeg" and attachment["name"] == "IMG_20250315_083000.jpg"

    served = await citizen.get(f"/public/attachments/{attachment['sha256']}")
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert len(served.content) == attachment["size"] and sha256(served.content).hexdigest() == attachment["sha256"]
    assert_no_metadata(served.content)
    with Image.open(io.BytesIO(served.content)) as shown:
        assert shown.size == (20, 40)                                  # upright, with no tag left to turn it
        assert max(abs(a - b) for a, b in zip(shown.convert("RGB").getpixel((2, 2)), RED)) < 40


async def test_a_photo_that_cannot_be_decoded_is_refused_before_any_file_is_kept(citizen, hall):
    round_id = await open_round(hall)
    before, kept_before = await Proposal.count(), await uploads_kept()
    cut, _ = damaged_photos()["jpeg-cut-in-its-scan"]
    response = await propose(citizen, round_id, files=[("files", ("好.png", png(colour="olive"), "image/png")),
                                                       ("files", ("坏.jpg", cut, "image/jpeg"))],
                             title="东岭村路灯维修")
    assert response.status_code == 400
    assert f"“坏.jpg”：{photos.DAMAGED}。附件都没有保存" in response.text
    assert 'value="东岭村路灯维修"' in response.text
    assert await Proposal.count() == before and await uploads_kept() == kept_before


async def test_a_photo_whose_pixels_cannot_be_decoded_is_refused_in_chinese(citizen, hall):
    # Seen only when the pixels are decoded (uploads.store), not by the form's check of every file first
    round_id = await open_round(hall)
    before = await Proposal.count()
    broken, seen_before_storing = damaged_photos()["png-with-broken-pixel-data"]
    assert not seen_before_storing
    response = await propose(citizen, round_id, files=[("files", ("坏.png", broken, "image/png"))],
                             title="东岭村路灯维修")
    assert response.status_code == 400 and photos.DAMAGED in response.text
    assert 'value="东岭村路灯维修"' in response.text
    assert await Proposal.count() == before
