"""Uploads: kind by content, size limits, photos stored without metadata, storage by hash, safe names
and headers."""

from __future__ import annotations

import dataclasses
import io
import os
import struct
import zlib
from hashlib import sha256
from pathlib import Path
from urllib.parse import unquote

import pytest
from hypothesis import given, settings as hypothesis_settings, strategies as st
from PIL import ExifTags, Image, ImageChops, ImageCms, ImageFile, ImageStat, JpegImagePlugin, PngImagePlugin

import config
from lifecycle import photos, uploads
from lifecycle.uploads import MAX_BYTES, StoredUpload, check_count, read, safe_headers, store, stored_hashes
from voting.errors import NotFound, Refused
from voting.tables import StoredFile


def pillow_image(kind: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 30, 30)).save(buffer, format=kind)
    return buffer.getvalue()


def assert_same_picture(stored: bytes, original: bytes, *, lossless: bool, size: tuple[int, int] | None = None) -> None:
    """`stored` shows what `original` shows: same size (or `size`), same pixels (nearly, if lossy)."""
    with Image.open(io.BytesIO(stored)) as kept, Image.open(io.BytesIO(original)) as given:
        assert kept.size == (size or given.size)
        if size is None:
            difference = ImageChops.difference(kept.convert("RGBA"), given.convert("RGBA"))
            if lossless:
                assert difference.getbbox() is None
            else:   # re-encoding moves a few values, a little, mostly along sharp edges
                assert max(ImageStat.Stat(difference).mean) < 5, ImageStat.Stat(difference).mean


def handmade_png() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))   # 2x2 red, filter 0
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def handmade_pdf() -> bytes:
    return (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


# --- accepted kinds -----------------------------------------------------------------

@pytest.mark.parametrize("data, kind, media_type", [
    (pillow_image("JPEG"), "jpeg", "image/jpeg"),
    (pillow_image("PNG"), "png", "image/png"),
    (pillow_image("WEBP"), "webp", "image/webp"),
    (handmade_png(), "png", "image/png"),
    (handmade_pdf(), "pdf", "application/pdf"),
], ids=["jpeg", "png", "webp", "handmade-png", "handmade-pdf"])
async def test_accepted_kinds_are_stored_by_hash(data, kind, media_type):
    stored = await store(data, "现场照片.bin")
    content = await read(stored.sha256, stored.size)  # a photo is written again from its pixels, a PDF kept as it is
    digest = sha256(content).hexdigest()
    assert stored == StoredUpload(digest, kind, media_type, len(content), f"现场照片.{uploads.KINDS[kind][1]}")
    if kind == "pdf" or data == pillow_image("PNG"):
        assert content == data     # a PNG Pillow wrote, with its defaults, comes out the same
    else:
        assert_same_picture(content, data, lossless=kind == "png")


async def test_weasyprint_pdf_is_accepted():
    import weasyprint

    data = weasyprint.HTML(string="<p>关于新建青溪镇农贸市场的建议</p>").write_pdf()
    stored = await store(data, "建议书.pdf")
    assert (stored.kind, stored.media_type, stored.name) == ("pdf", "application/pdf", "建议书.pdf")


async def test_files_live_in_the_database_not_on_the_node_s_disk():
    """Any app node serves what another took, and a backup of the database holds the files."""
    data = handmade_png()
    stored = await store(data, "a.png")
    row = await StoredFile.select().where(StoredFile.sha256 == stored.sha256).first()
    assert bytes(row["content"]) == await read(stored.sha256) and row["size"] == stored.size
    assert sha256(bytes(row["content"])).hexdigest() == stored.sha256
    assert_same_picture(bytes(row["content"]), data, lossless=True)
    assert not (config.settings().data_dir / "uploads").exists()


async def test_same_content_is_stored_once():
    data = pillow_image("PNG")
    first = await store(data, "一.png")
    second = await store(data, "二.jpg")
    assert second.sha256 == first.sha256 and second.name == "二.png"
    assert await StoredFile.count().where(StoredFile.sha256 == first.sha256) == 1


async def test_files_an_earlier_version_kept_on_disk_are_copied_in_by_the_migration(tmp_path, monkeypatch):
    import importlib

    migration = importlib.import_module("voting.piccolo_migrations.voting_2026_12_06t04_00_01_000000")
    content = pillow_image("PNG") + b""
    digest = sha256(content).hexdigest()
    old = tmp_path / "uploads" / digest[:2]
    old.mkdir(parents=True)
    (old / digest).write_bytes(content)
    damaged = sha256(b"other").hexdigest()
    (old.parent / damaged[:2]).mkdir(exist_ok=True)
    (old.parent / damaged[:2] / damaged).write_bytes(b"not what its name says")
    (old / ".part-x1y2").write_bytes(b"half")
    earlier = dataclasses.replace(config.settings(), data_dir=tmp_path)
    monkeypatch.setattr(config, "settings", lambda: earlier)
    await StoredFile.delete().where(StoredFile.sha256.is_in([digest, damaged]))
    assert await migration.copy_files_from_disk() == 1
    assert await read(digest, len(content)) == content
    with pytest.raises(NotFound):
        await read(damaged)
    assert await migration.copy_files_from_disk() == 1  # run again: nothing doubled
    assert await StoredFile.count().where(StoredFile.sha256 == digest) == 1


# --- refusals -----------------------------------------------------------------------

async def refused(data: bytes, name: str = "file", **kwargs) -> Refused:
    before = await stored_hashes()
    with pytest.raises(Refused) as caught:
        await store(data, name, **kwargs)
    assert await stored_hashes() == before, "a refused file keeps nothing"
    with pytest.raises(Refused) as checked:
        uploads.check(data, name, **kwargs)
    assert (checked.value.code, checked.value.message) == (caught.value.code, caught.value.message)
    return caught.value


@pytest.mark.parametrize("data, name", [
    (b"<!doctype html><script>alert(1)</script>", "page.html"),
    (b"<html><body><script>alert(1)</script></body></html>", "photo.jpg"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "logo.svg"),
    (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "logo.png"),
    (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;<script>alert(1)</script>", "anim.gif"),
    (b"\x89PNG\r\n\x1a\n" + b"garbage that is not a chunk" * 3, "fake.png"),
    (b"\xff\xd8\xff<script>alert(1)</script>", "fake.jpg"),
    (b"RIFF\xff\xff\xff\x7fWEBPVP8 <script>alert(1)</script>", "fake.webp"),
    (b"%PDF-1.7\n<script>alert(1)</script>", "no-eof.pdf"),
    (b"<script>alert(1)</script>" + handmade_pdf(), "polyglot.pdf"),
    (b" " + pillow_image("PNG"), "leading-space.png"),
    (b"MZ\x90\x00" + bytes(100), "setup.exe"),
], ids=["html", "html-as-jpg", "svg-script", "svg-onload", "gif", "png-garbage", "jpeg-garbage",
        "webp-wrong-size", "pdf-without-eof", "html-then-pdf", "png-after-space", "exe"])
async def test_other_content_is_refused_whatever_its_name(data, name):
    error = await refused(data, name)
    assert (error.code, error.message) == ("upload_kind", "只能上传 JPG、PNG、WebP 图片或 PDF 文件")


async def test_png_with_a_wrong_ihdr_crc_is_refused():
    data = bytearray(handmade_png())
    data[29] ^= 0xFF
    assert (await refused(bytes(data))).code == "upload_kind"


async def test_webp_with_trailing_bytes_is_refused():
    assert (await refused(pillow_image("WEBP") + b"<script>alert(1)</script>")).code == "upload_kind"


async def test_empty_file_is_refused():
    error = await refused(b"")
    assert (error.code, error.message) == ("upload_empty", "文件是空的")


async def test_oversized_file_is_refused():
    big = handmade_pdf()[:-7] + b" " * MAX_BYTES + b"\n%%EOF\n"
    error = await refused(big, "big.pdf")
    assert (error.code, error.message) == ("upload_too_large", "文件超过 10 MB")
    assert (await refused(handmade_png(), max_bytes=10)).code == "upload_too_large"
    assert (await store(handmade_png(), "a.png", max_bytes=len(handmade_png()))).kind == "png"


def test_count_limit():
    check_count(5)
    check_count(0, 6)
    with pytest.raises(Refused) as caught:
        check_count(6)
    assert caught.value.code == "upload_too_many"
    assert "最多上传 6 个附件" in caught.value.message
    with pytest.raises(Refused):
        check_count(4, 3)


@pytest.mark.parametrize("sha", [
    "../../secret.key",
    "../" * 20 + "etc/passwd",
    "ab/../../secret.key",
    "A" * 64,
    "a" * 63,
    "a" * 65,
    "a" * 63 + "\n",
    "a" * 63 + "g",
    "",
    "' OR 1=1 --" + "a" * 53,
], ids=["dotdot", "deep-dotdot", "nested", "uppercase", "short", "long", "newline", "non-hex", "empty", "sql"])
async def test_read_refuses_anything_but_a_hash(sha):
    with pytest.raises(NotFound):
        await read(sha)


async def test_a_file_changed_in_the_database_is_not_served_as_the_one_taken():
    """A database insider replaces an inspection photo's bytes (same size, so the size check alone
    passes): the content no longer hashes to the name the records hold, and it is refused."""
    stored = await store(pillow_image("PNG"), "现场.png")
    other = bytearray(await read(stored.sha256))
    other[-20] ^= 0xFF
    await StoredFile.update({StoredFile.content: bytes(other)}).where(StoredFile.sha256 == stored.sha256)
    with pytest.raises(NotFound, match="已被改动"):
        await read(stored.sha256, stored.size)


async def test_read_refuses_a_missing_file_or_wrong_size():
    stored = await store(handmade_png(), "a.png")
    with pytest.raises(NotFound):
        await read("0" * 64)
    with pytest.raises(NotFound):
        await read(stored.sha256, stored.size + 1)


# --- photos are stored without their metadata ---------------------------------------------

# What a phone writes into a photo, none of which may be published with it
SECRETS = (b"HUAWEI", b"Mate60Pro-XYZ", b"Zhang Xiuying", b"2025:03:15", b"GPSLatitude", b"xmpmeta",
           b"Exif\x00\x00", b"Photoshop 3.0", b"qingxi-home", b"MotionPhoto")
RED, BLUE = (220, 20, 20), (20, 20, 220)


def gps_exif(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "HUAWEI"
    exif[ExifTags.Base.Model] = "Mate60Pro-XYZ"
    exif[ExifTags.Base.Artist] = "Zhang Xiuying"
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = "2025:03:15 08:30:00"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (30.0, 15.0, 7.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (120.0, 9.0, 42.25)
    return exif


XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
       b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="30,15.125N"'
       b' exif:GPSLongitude="120,9.704E"/></rdf:RDF></x:xmpmeta>')
SRGB_PROFILE = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def halves(size: tuple[int, int] = (40, 20), mode: str = "RGB") -> Image.Image:
    """A picture whose left half is red and right half blue, to see which way it is turned."""
    image = Image.new(mode, size, BLUE)
    image.paste(RED, (0, 0, size[0] // 2, size[1]))
    return image


def phone_photo(kind: str, orientation: int | None = 6, **more) -> bytes:
    buffer = io.BytesIO()
    halves().save(buffer, format=kind, exif=gps_exif(orientation), **more)
    return buffer.getvalue()


def jpeg_segments(data: bytes) -> list[tuple[int, bytes]]:
    """(marker, body) of a JPEG's segments up to its first scan."""
    pos, segments = 2, []
    while True:
        assert data[pos] == 0xFF
        marker, length = data[pos + 1], struct.unpack(">H", data[pos + 2:pos + 4])[0]
        segments.append((marker, data[pos + 4:pos + 2 + length]))
        if marker == 0xDA:
            return segments
        pos += 2 + length


def png_chunks(data: bytes) -> list[bytes]:
    pos, chunks = 8, []
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunks.append(kind)
        pos += 12 + length
    assert chunks[-1] == b"IEND" and pos == len(data)
    return chunks


def webp_chunks(data: bytes, start: int = 12, end: int | None = None) -> list[bytes]:
    pos, end, chunks = start, len(data) if end is None else end, []
    while pos + 8 <= end:
        kind, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        chunks.append(kind)
        if kind == b"ANMF":
            chunks += webp_chunks(data, pos + 24, pos + 8 + size)
        pos += 8 + size + (size & 1)
    return chunks


async def stored_bytes(data: bytes, name: str = "现场.jpg") -> tuple[StoredUpload, bytes]:
    stored = await store(data, name)
    return stored, await read(stored.sha256, stored.size)


def assert_no_metadata(content: bytes) -> None:
    for secret in SECRETS:
        assert secret not in content, secret
    with Image.open(io.BytesIO(content)) as image:
        exif = image.getexif()
        assert dict(exif) == {} and dict(exif.get_ifd(ExifTags.IFD.GPSInfo)) == {}
        assert not {"exif", "xmp", "XML:com.adobe.xmp", "comment", "Raw profile type exif"} & set(image.info)


def with_segments(jpeg: bytes, *segments: tuple[int, bytes], trailer: bytes = b"") -> bytes:
    """`jpeg` with marker segments added right after its SOI and bytes after its end."""
    added = b"".join(b"\xff" + bytes([marker]) + struct.pack(">H", len(body) + 2) + body for marker, body in segments)
    return jpeg[:2] + added + jpeg[2:] + trailer


async def test_a_jpeg_keeps_no_exif_gps_xmp_iptc_comment_thumbnail_or_trailer():
    iptc = b"Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x12\x1c\x02\x5a\x00\x0bqingxi-home\x00"
    motion_photo = b"\x00\x00\x00\x18ftypmp42MotionPhoto_Data\xa9xyz+30.2520+120.1617/"
    photo = phone_photo("JPEG", 1, xmp=XMP, comment="Zhang Xiuying", icc_profile=SRGB_PROFILE, quality=90,
                        progressive=True)
    assert photo[2:6] == b"\xff\xe0\x00\x10"                   # Pillow's JFIF, replaced by one with a thumbnail
    jfif_with_thumbnail = photo[6:18] + b"\x02\x01" + bytes(RED) * 2
    data = with_segments(photo[:2] + photo[20:], (0xE0, jfif_with_thumbnail), (0xED, iptc),
                         (0xFE, b"qingxi-home"), trailer=motion_photo)
    for secret in (b"GPS", b"HUAWEI", b"xmpmeta", b"Photoshop 3.0", b"qingxi-home", b"MotionPhoto"):
        assert secret in data                                     # the upload has it all
    assert uploads.detect_kind(data) == "jpeg"
    stored, content = await stored_bytes(data)
    assert (stored.kind, stored.size, stored.name) == ("jpeg", len(content), "现场.jpg")
    assert_no_metadata(content)
    markers = [marker for marker, _ in jpeg_segments(content)]
    assert not {0xE1, 0xED, 0xFE} & set(markers)                  # no APP1 (EXIF, XMP), APP13 (IPTC), COM
    assert {marker for marker in markers if 0xE0 <= marker <= 0xEF} <= {0xE0, 0xE2}
    assert all(body.startswith(b"ICC_PROFILE\x00") for marker, body in jpeg_segments(content) if marker == 0xE2)
    assert (0xE0, photo[6:18] + b"\x00\x00") in jpeg_segments(content)   # JFIF without a thumbnail
    assert content.endswith(b"\xff\xd9") and content.count(b"\xff\xd9") == 1   # nothing after the image
    with Image.open(io.BytesIO(content)) as kept, Image.open(io.BytesIO(data)) as given:
        assert kept.info["icc_profile"] == SRGB_PROFILE           # the colours mean what they meant
        assert kept.quantization == given.quantization           # the photo's own quality
    assert_same_picture(content, data, lossless=False)


async def test_a_turned_jpeg_is_written_with_its_own_quantization_tables():
    data = phone_photo("JPEG", 6, xmp=XMP, icc_profile=SRGB_PROFILE, quality=83, subsampling="4:2:0")
    stored, content = await stored_bytes(data)
    assert_no_metadata(content)
    assert {marker for marker, _ in jpeg_segments(content) if 0xE0 <= marker <= 0xEF} <= {0xE0, 0xE2}
    with Image.open(io.BytesIO(content)) as kept, Image.open(io.BytesIO(data)) as given:
        assert kept.size == (20, 40) and kept.info["icc_profile"] == SRGB_PROFILE
        assert kept.quantization == given.quantization            # the photo's quality, as quality="keep"
        assert JpegImagePlugin.get_sampling(kept) == JpegImagePlugin.get_sampling(given) == 2
        rotated_back = io.BytesIO()
        kept.transpose(Image.Transpose.ROTATE_90).save(rotated_back, "PNG")
    assert_same_picture(rotated_back.getvalue(), data, lossless=False)


@pytest.mark.parametrize("kind, orientation, top_left, size", [
    ("JPEG", 6, RED, (20, 40)),     # held upright: the sensor's left edge is the picture's top
    ("JPEG", 8, BLUE, (20, 40)),
    ("JPEG", 3, BLUE, (40, 20)),
    ("JPEG", 1, RED, (40, 20)),
    ("PNG", 6, RED, (20, 40)),      # eXIf chunk
    ("WEBP", 6, RED, (20, 40)),     # EXIF chunk
], ids=["jpeg-6", "jpeg-8", "jpeg-3", "jpeg-1", "png-6", "webp-6"])
async def test_a_photo_is_stored_the_way_up_it_was_shown(kind, orientation, top_left, size):
    data = phone_photo(kind, orientation)
    with Image.open(io.BytesIO(data)) as given:
        assert given.size == (40, 20) and given.getexif()[ExifTags.Base.Orientation] == orientation
    stored, content = await stored_bytes(data, "竖拍.img")
    assert_no_metadata(content)                                   # no Orientation tag left to turn it twice
    with Image.open(io.BytesIO(content)) as kept:
        assert kept.size == size                                  # width and height swapped for 6 and 8
        kept = kept.convert("RGB")
        assert max(abs(a - b) for a, b in zip(kept.getpixel((2, 2)), top_left)) < 40
        far = kept.getpixel((size[0] - 3, size[1] - 3))
        assert max(abs(a - b) for a, b in zip(far, BLUE if top_left == RED else RED)) < 40


async def test_png_text_time_exif_and_private_chunks_are_dropped_colour_kept():
    chunks = PngImagePlugin.PngInfo()
    chunks.add_text("Author", "Zhang Xiuying")
    chunks.add_text("Comment", "qingxi-home", zip=True)                       # zTXt
    chunks.add_itxt("Description", "张秀英家，GPSLatitude 30.2520")            # iTXt
    chunks.add(b"tIME", struct.pack(">HBBBBB", 2025, 3, 15, 8, 30, 0))
    chunks.add(b"gAMA", struct.pack(">I", 45455))
    chunks.add(b"prVt", b"HUAWEI Mate60Pro-XYZ")                               # a private chunk
    buffer = io.BytesIO()
    halves().save(buffer, "PNG", pnginfo=chunks, exif=gps_exif(1), icc_profile=SRGB_PROFILE)
    data = buffer.getvalue()
    assert {b"tEXt", b"zTXt", b"iTXt", b"tIME", b"eXIf", b"prVt"} <= set(png_chunks(data))
    stored, content = await stored_bytes(data, "村口.png")
    assert_no_metadata(content)
    assert set(png_chunks(content)) == {b"IHDR", b"iCCP", b"gAMA", b"IDAT", b"IEND"}
    with Image.open(io.BytesIO(content)) as kept:
        assert kept.info["icc_profile"] == SRGB_PROFILE and kept.info["gamma"] == 0.45455
    assert_same_picture(content, data, lossless=True)


async def test_a_palette_png_keeps_its_transparency():
    image = halves().convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
    chunks = PngImagePlugin.PngInfo()
    chunks.add_text("Author", "Zhang Xiuying")
    buffer = io.BytesIO()
    image.save(buffer, "PNG", pnginfo=chunks, transparency=image.getpixel((0, 0)))
    stored, content = await stored_bytes(buffer.getvalue(), "a.png")
    assert b"Zhang Xiuying" not in content and b"tEXt" not in png_chunks(content)
    with Image.open(io.BytesIO(content)) as kept:
        assert kept.mode == "P" and kept.convert("RGBA").getpixel((0, 0))[3] == 0
    assert_same_picture(content, buffer.getvalue(), lossless=True)


@pytest.mark.parametrize("lossless", [True, False], ids=["lossless", "lossy"])
async def test_webp_exif_and_xmp_chunks_are_dropped(lossless):
    data = phone_photo("WEBP", 1, xmp=XMP, icc_profile=SRGB_PROFILE, lossless=lossless)
    assert {b"EXIF", b"XMP "} <= set(webp_chunks(data))
    stored, content = await stored_bytes(data, "a.webp")
    assert stored.kind == "webp" and uploads.detect_kind(content) == "webp"
    assert_no_metadata(content)
    chunks = webp_chunks(content)
    assert not {b"EXIF", b"XMP "} & set(chunks) and b"ICCP" in chunks
    assert chunks[0] == b"VP8X" and content[20] & 0x0C == 0            # nor the flags that announce them
    assert (b"VP8L" in chunks) == lossless and (b"VP8 " in chunks) == (not lossless)
    assert_same_picture(content, data, lossless=lossless)


@pytest.mark.parametrize("orientation, size", [(1, (40, 20)), (6, (20, 40))], ids=["upright", "turned"])
@pytest.mark.parametrize("kind", ["PNG", "WEBP"])
async def test_an_animation_keeps_its_frames_and_timing_each_turned_upright(kind, orientation, size):
    frames = [halves(mode="RGBA")] + [Image.new("RGBA", (40, 20), colour) for colour in ("green", "yellow")]
    buffer = io.BytesIO()
    frames[0].save(buffer, kind, save_all=True, append_images=frames[1:], duration=[100, 200, 300], loop=2,
                   exif=gps_exif(orientation), lossless=True)
    assert b"HUAWEI" in buffer.getvalue()
    stored, content = await stored_bytes(buffer.getvalue(), "动图")
    assert_no_metadata(content)
    with Image.open(io.BytesIO(content)) as kept:
        assert kept.n_frames == 3 and kept.size == size and kept.info["loop"] == 2
        durations = []
        for index in range(3):
            kept.seek(index)
            kept.load()
            durations.append(kept.info["duration"])
            if index == 0:
                assert kept.convert("RGB").getpixel((2, 2)) == RED
        assert durations == [100, 200, 300]


async def test_only_the_first_picture_of_a_phones_mpo_is_kept():
    buffer = io.BytesIO()
    halves().save(buffer, "MPO", save_all=True, append_images=[Image.new("RGB", (40, 20), "gray")],
                  exif=gps_exif(1))
    data = buffer.getvalue()
    assert Image.open(io.BytesIO(data)).n_frames == 2 and data.count(b"HUAWEI") == 2
    stored, content = await stored_bytes(data)
    assert_no_metadata(content)
    assert b"MPF\x00" not in content and content.count(b"\xff\xd8") == 1
    with Image.open(io.BytesIO(content)) as kept:
        assert kept.format == "JPEG" and getattr(kept, "n_frames", 1) == 1
    assert_same_picture(content, data, lossless=False)


@pytest.mark.parametrize("lenient", [False, True], ids=["pillow-strict", "pillow-lenient"])
async def test_metadata_inside_a_damaged_jpegs_picture_data_is_not_kept(lenient, monkeypatch):
    # An MPO whose first end marker and second image's markers are lost: the second image's
    # EXIF now sits inside the first image's scan data, where a marker filter would keep it
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", lenient)
    buffer = io.BytesIO()
    halves().save(buffer, "MPO", save_all=True, append_images=[Image.new("RGB", (40, 20), "gray")],
                  exif=gps_exif(1))
    data = buffer.getvalue()
    second = data.index(b"\xff\xd8", 2)
    damaged = data[:data.rindex(b"\xff\xd9", 0, second)] + data[data.index(b"\xff\xe1", second) + 4:]
    assert b"HUAWEI" in damaged and uploads.detect_kind(damaged) == "jpeg"
    try:
        stored, content = await stored_bytes(damaged)
    except Refused as error:                     # Pillow strict: the scan does not decode cleanly
        assert error.code == "upload_damaged"
    else:                                        # Pillow lenient: what it decoded, without the EXIF
        assert_no_metadata(content)


async def test_the_same_picture_with_other_metadata_is_stored_once():
    first = phone_photo("PNG", 1)
    chunks = PngImagePlugin.PngInfo()
    chunks.add_text("Author", "somebody else")
    buffer = io.BytesIO()
    halves().save(buffer, "PNG", pnginfo=chunks)
    assert first != buffer.getvalue()
    one, two = await store(first, "一.png"), await store(buffer.getvalue(), "二.png")
    assert one.sha256 == two.sha256 and one.size == two.size
    assert await StoredFile.count().where(StoredFile.sha256 == one.sha256) == 1
    assert (await store(await read(one.sha256), "三.png")).sha256 == one.sha256


def damaged_photos() -> dict[str, tuple[bytes, bool]]:
    """Photos Pillow cannot decode, and whether that already shows in detect_kind (before anything is
    stored by callers that check every file first) rather than only when store decodes the pixels."""
    jpeg = phone_photo("JPEG", 6)
    noise = io.BytesIO()
    Image.effect_noise((64, 64), 60).convert("RGB").save(noise, "JPEG")
    big_png = io.BytesIO()
    Image.effect_noise((64, 64), 60).save(big_png, "PNG")
    png = handmade_png()
    idat = png.index(b"IDAT") - 4
    length = struct.unpack(">I", png[idat:idat + 4])[0]
    garbage = b"this is not zlib data"
    broken_idat = (png[:idat] + struct.pack(">I", len(garbage)) + b"IDAT" + garbage
                   + struct.pack(">I", zlib.crc32(b"IDAT" + garbage)) + png[idat + 12 + length:])
    webp = bytearray(pillow_image("WEBP"))
    start = webp.index(b"\x9d\x01\x2a")                      # the VP8 key frame's start code
    webp[start:start + 3] = b"\x00\x00\x00"
    return {
        "jpeg-cut-in-its-scan": (noise.getvalue()[:len(noise.getvalue()) * 2 // 3], True),
        "jpeg-cut-before-its-scan": (jpeg[:jpeg.index(b"\xff\xda") + 14], True),
        "png-cut-short": (big_png.getvalue()[:len(big_png.getvalue()) * 2 // 3], True),
        "png-with-broken-pixel-data": (broken_idat, False),
        "webp-with-a-broken-frame": (bytes(webp), True),
    }


@pytest.mark.parametrize("lenient", [False, True], ids=["pillow-strict", "pillow-lenient"])
@pytest.mark.parametrize("name", list(damaged_photos()))
async def test_a_photo_that_cannot_be_decoded_is_refused_in_chinese(name, lenient, monkeypatch):
    # WeasyPrint, once imported, makes Pillow fill truncated or broken pixel data with grey
    # for the whole process: the refusal must not depend on whether a PDF was made before
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", lenient)
    data, seen_before_storing = damaged_photos()[name]
    assert uploads._structural_kind(data) is not None          # it passes for a photo by its bytes
    error = (await refused(data, "坏照片.jpg"))
    assert (error.code, error.message) == ("upload_damaged", photos.DAMAGED)
    assert "图片已损坏" in error.message
    assert (uploads.detect_kind(data) is None) == seen_before_storing


def png_header_only(width: int, height: int, frames: int = 1) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    animation = chunk(b"acTL", struct.pack(">II", frames, 0)) if frames > 1 else b""
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + animation + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


@pytest.mark.parametrize("data", [
    png_header_only(9000, 9000),           # 81 million pixels, from a file of a few dozen bytes
    png_header_only(30000, 30000),         # so many that Pillow itself refuses to open it
    png_header_only(3000, 3000, frames=100),
], ids=["81-megapixels", "900-megapixels", "100-frames-of-9-megapixels"])
async def test_a_decompression_bomb_is_refused_before_it_is_decoded(data):
    assert len(data) < 200
    error = (await refused(data, "bomb.png"))
    assert error.code == "upload_pixels"
    assert error.message == "图片尺寸太大（最多 7000 万像素），请缩小后再上传" == photos.TOO_MANY_PIXELS
    assert uploads.detect_kind(data) is None


async def test_store_all_writes_nothing_if_one_photo_cannot_be_decoded():
    damaged, seen_before_storing = damaged_photos()["png-with-broken-pixel-data"]
    assert not seen_before_storing and uploads.detect_kind(damaged) == "png"
    good = phone_photo("JPEG", 6)
    before = await stored_hashes()
    with pytest.raises(Refused) as caught:
        await uploads.store_all([(good, "好.jpg"), (damaged, "坏.png")])
    assert caught.value.code == "upload_damaged"
    assert await stored_hashes() == before
    first, = await uploads.store_all([(good, "好.jpg")])
    assert_no_metadata(await read(first.sha256, first.size))


async def test_a_pdf_is_stored_as_it_is():
    data = handmade_pdf().replace(b"/Type/Catalog", b"/Type/Catalog/Author(Zhang Xiuying)")
    stored, content = await stored_bytes(data, "建议书.pdf")
    assert content == data and stored.sha256 == sha256(data).hexdigest()


# --- names --------------------------------------------------------------------------

@pytest.mark.parametrize("original, kind, expected", [
    ("../../etc/passwd", "png", "passwd.png"),
    ("..\\..\\windows\\system32\\照片.jpg", "jpeg", "照片.jpg"),
    ("照片\x00.jpg", "jpeg", "照片.jpg"),
    ("照片\u202egpj.exe", "jpeg", "照片gpj.jpg"),
    ("现场\n照片\t2025.jpeg", "jpeg", "现场 照片 2025.jpg"),
    ("小区<script>.png", "png", "小区script.png"),
    ('说"明".pdf', "pdf", "说明.pdf"),
    ("拍的其实是 PNG.jpg", "png", "拍的其实是 PNG.png"),
    ("2025.03.15", "jpeg", "2025.03.15.jpg"),
    (".hidden.pdf", "pdf", "hidden.pdf"),
    ("../", "pdf", "附件.pdf"),
    ("", "webp", "附件.webp"),
    ("\x00\x01\x02", "png", "附件.png"),
])
def test_display_names(original, kind, expected):
    assert uploads.display_name(original, kind) == expected


def test_long_names_are_cut_to_80_characters_keeping_the_extension():
    name = uploads.display_name("农" * 300 + ".jpg", "jpeg")
    assert name == "农" * 76 + ".jpg" and len(name) == 80
    name = uploads.display_name("a" * 300, "pdf")
    assert len(name) == 80 and name.endswith(".pdf")


@given(st.text(max_size=400), st.sampled_from(sorted(uploads.KINDS)))
def test_display_names_are_always_safe(original, kind):
    name = uploads.display_name(original, kind)
    assert 0 < len(name) <= 80
    assert name.endswith("." + uploads.KINDS[kind][1])
    assert not any(ch in name for ch in '/\\<>:"|?*')
    assert name.isprintable() and not name.startswith((".", " "))


# --- headers ------------------------------------------------------------------------

async def test_headers_for_an_image():
    stored = (await store(pillow_image("JPEG"), "青溪镇 农贸市场.jpg"))
    headers = safe_headers(stored)
    assert headers["Content-Type"] == "image/jpeg"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Security-Policy"] == \
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
    assert headers["Cache-Control"].startswith("private, max-age=")
    assert headers["Cross-Origin-Resource-Policy"] == "same-origin"
    disposition = headers["Content-Disposition"]
    assert disposition.startswith("inline; ")
    assert f'filename="attachment-{stored.sha256[:12]}.jpg"' in disposition
    encoded = disposition.split("filename*=UTF-8''")[1]
    assert encoded == "%E9%9D%92%E6%BA%AA%E9%95%87%20%E5%86%9C%E8%B4%B8%E5%B8%82%E5%9C%BA.jpg"
    assert unquote(encoded) == "青溪镇 农贸市场.jpg"
    assert all(value.isascii() and "\n" not in value and "\r" not in value for value in headers.values())


async def test_headers_for_a_pdf_download_it():
    stored = (await store(handmade_pdf(), "proposal; v2.pdf"))
    headers = safe_headers(stored)
    assert headers["Content-Type"] == "application/pdf"
    assert headers["Content-Disposition"] == \
        "attachment; filename=\"proposal; v2.pdf\"; filename*=UTF-8''proposal%3B%20v2.pdf"


@given(st.text(max_size=200))
def test_headers_are_always_plain_ascii(original):
    stored = StoredUpload("ab" * 32, "png", "image/png", 1, uploads.display_name(original, "png"))
    for value in safe_headers(stored).values():
        assert value.isascii() and value.isprintable()
    fallback = safe_headers(stored)["Content-Disposition"].split('filename="')[1].split('"')[0]
    assert "\\" not in fallback


# --- property: nothing but an accepted kind is ever stored ------------------------------

MAGIC = {b"\xff\xd8\xff": "jpeg", b"\x89PNG\r\n\x1a\n": "png", b"RIFF": "webp", b"%PDF-": "pdf"}


def _check_only_accepted_magic_stores(data: bytes) -> None:
    """uploads.prepare decides what `store` keeps (it keeps exactly what prepare returns)."""
    try:
        _, kind, _ = uploads.prepare(data, "x")
    except Refused as error:
        assert error.code in {"upload_kind", "upload_empty", "upload_damaged"}
        return
    assert any(data.startswith(magic) and kind == known for magic, known in MAGIC.items())
    assert uploads.detect_kind(data) == kind   # callers rely on: None means store refuses


@hypothesis_settings(max_examples=500, deadline=None)
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_never_store_without_an_accepted_magic(data):
    _check_only_accepted_magic_stores(data)


@hypothesis_settings(max_examples=500, deadline=None)
@given(st.sampled_from([*MAGIC, b"\xff\xd8\xff\xe0", b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR",
                        b"RIFF\x20\x00\x00\x00WEBPVP8 ", b"%PDF-1.7\n", b"<", b"GIF89a"]),
       st.binary(max_size=512), st.booleans())
def test_magic_followed_by_anything_is_refused_or_really_that_kind(prefix, rest, with_eof):
    # near-misses: the parsers never raise anything but Refused, and what is stored
    # always starts with the magic of the kind it is stored as
    _check_only_accepted_magic_stores(prefix + rest + (b"%%EOF" if with_eof else b""))
