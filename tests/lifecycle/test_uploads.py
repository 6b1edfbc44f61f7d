"""Uploads: kind by content, size limits, storage by hash, safe names and headers."""

from __future__ import annotations

import io
import os
import struct
import zlib
from hashlib import sha256
from pathlib import Path
from urllib.parse import unquote

import pytest
from hypothesis import given, settings as hypothesis_settings, strategies as st
from PIL import Image

import config
from lifecycle import uploads
from lifecycle.uploads import MAX_BYTES, StoredUpload, check_count, open_stored, safe_headers, store
from voting.errors import NotFound, Refused


def pillow_image(kind: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 30, 30)).save(buffer, format=kind)
    return buffer.getvalue()


def handmade_png() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))   # 2x2 red, filter 0
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def handmade_pdf() -> bytes:
    return (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "uploads"


# --- accepted kinds -----------------------------------------------------------------

@pytest.mark.parametrize("data, kind, media_type", [
    (pillow_image("JPEG"), "jpeg", "image/jpeg"),
    (pillow_image("PNG"), "png", "image/png"),
    (pillow_image("WEBP"), "webp", "image/webp"),
    (handmade_png(), "png", "image/png"),
    (handmade_pdf(), "pdf", "application/pdf"),
], ids=["jpeg", "png", "webp", "handmade-png", "handmade-pdf"])
def test_accepted_kinds_are_stored_by_hash(root, data, kind, media_type):
    stored = store(data, "现场照片.bin", root=root)
    digest = sha256(data).hexdigest()
    assert stored == StoredUpload(digest, kind, media_type, len(data), f"现场照片.{uploads.KINDS[kind][1]}")
    path = root / digest[:2] / digest
    assert path.read_bytes() == data
    assert open_stored(digest, len(data), root=root) == path
    assert [p.name for p in path.parent.iterdir()] == [digest]    # no temporary file left behind


def test_weasyprint_pdf_is_accepted(root):
    import weasyprint

    data = weasyprint.HTML(string="<p>关于新建青溪镇农贸市场的建议</p>").write_pdf()
    stored = store(data, "建议书.pdf", root=root)
    assert (stored.kind, stored.media_type, stored.name) == ("pdf", "application/pdf", "建议书.pdf")


def test_default_location_is_the_data_directory():
    data = handmade_png()
    stored = store(data, "a.png")
    assert config.settings().data_dir == Path(os.environ["PIAOJUE_DATA"]).resolve()
    expected = config.settings().data_dir / "uploads" / stored.sha256[:2] / stored.sha256
    assert open_stored(stored.sha256) == expected
    assert expected.read_bytes() == data


def test_same_content_is_stored_once(root):
    data = pillow_image("PNG")
    first = store(data, "一.png", root=root)
    path = open_stored(first.sha256, root=root)
    written = path.stat().st_mtime_ns
    second = store(data, "二.jpg", root=root)
    assert second.sha256 == first.sha256 and second.name == "二.png"
    assert path.stat().st_mtime_ns == written
    assert sum(1 for p in root.rglob("*") if p.is_file()) == 1


def test_a_damaged_copy_is_rewritten(root):
    data = pillow_image("PNG")
    stored = store(data, "a.png", root=root)
    path = open_stored(stored.sha256, root=root)
    path.write_bytes(data[:10])
    with pytest.raises(NotFound):
        open_stored(stored.sha256, stored.size, root=root)
    store(data, "a.png", root=root)
    assert path.read_bytes() == data


# --- refusals -----------------------------------------------------------------------

def refused(data: bytes, name: str = "file", **kwargs) -> Refused:
    with pytest.raises(Refused) as caught:
        store(data, name, **kwargs)
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
def test_other_content_is_refused_whatever_its_name(root, data, name):
    error = refused(data, name, root=root)
    assert (error.code, error.message) == ("upload_kind", "只能上传 JPG、PNG、WebP 图片或 PDF 文件")
    assert not root.exists()


def test_png_with_a_wrong_ihdr_crc_is_refused(root):
    data = bytearray(handmade_png())
    data[29] ^= 0xFF
    assert refused(bytes(data), root=root).code == "upload_kind"


def test_webp_with_trailing_bytes_is_refused(root):
    assert refused(pillow_image("WEBP") + b"<script>alert(1)</script>", root=root).code == "upload_kind"


def test_empty_file_is_refused(root):
    error = refused(b"", root=root)
    assert (error.code, error.message) == ("upload_empty", "文件是空的")


def test_oversized_file_is_refused(root):
    big = handmade_pdf()[:-7] + b" " * MAX_BYTES + b"\n%%EOF\n"
    error = refused(big, "big.pdf", root=root)
    assert (error.code, error.message) == ("upload_too_large", "文件超过 10 MB")
    assert refused(handmade_png(), max_bytes=10, root=root).code == "upload_too_large"
    assert store(handmade_png(), "a.png", max_bytes=len(handmade_png()), root=root).kind == "png"
    assert not (root / sha256(big).hexdigest()[:2]).exists()


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
], ids=["dotdot", "deep-dotdot", "nested", "uppercase", "short", "long", "newline", "non-hex", "empty"])
def test_open_stored_refuses_anything_but_a_hash(root, sha):
    with pytest.raises(NotFound):
        open_stored(sha, root=root)


def test_open_stored_refuses_a_missing_file_or_wrong_size(root):
    stored = store(handmade_png(), "a.png", root=root)
    with pytest.raises(NotFound):
        open_stored("0" * 64, root=root)
    with pytest.raises(NotFound):
        open_stored(stored.sha256, stored.size + 1, root=root)


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

def test_headers_for_an_image(root):
    stored = store(pillow_image("JPEG"), "青溪镇 农贸市场.jpg", root=root)
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


def test_headers_for_a_pdf_download_it(root):
    stored = store(handmade_pdf(), "proposal; v2.pdf", root=root)
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
PROPERTY_ROOT = config.settings().data_dir / "property-uploads"   # removed with the test data directory


def _check_only_accepted_magic_stores(data: bytes) -> None:
    try:
        stored = store(data, "x", root=PROPERTY_ROOT)
    except Refused as error:
        assert error.code in {"upload_kind", "upload_empty"}
        assert not (PROPERTY_ROOT / sha256(data).hexdigest()[:2] / sha256(data).hexdigest()).exists()
        return
    assert any(data.startswith(magic) and stored.kind == kind for magic, kind in MAGIC.items())


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
