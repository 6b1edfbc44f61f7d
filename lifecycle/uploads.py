"""Attachments citizens add to a project proposal: photos (JPEG, PNG, WebP) or a PDF.

An upload comes from anyone, so nothing about it is trusted but its bytes:

- the kind is read from the content (magic bytes plus a minimal structure check), never
  from the file name or the client's content type; anything else, SVG and HTML
  included, is refused, so a script cannot get in as an "image";
- size is limited and empty files are refused;
- a photo is published as it is stored, so what a phone writes into it (EXIF with the
  GPS position of the citizen's home, phone model, times, owner names; XMP; IPTC;
  comments; PNG text and time chunks) must not be stored. Every photo is decoded with
  Pillow and written again from its pixels alone (see "Photos" below), and the SHA-256
  is taken of that clean copy, so two uploads of one picture with different metadata are
  stored once. A photo Pillow cannot read is refused, and so is one with more than
  MAX_PIXELS pixels (frames included), checked from its header before it is decoded, so
  a small file cannot unpack to gigabytes (a decompression bomb);
- PDFs are stored as they are: taking metadata out of a PDF (document info, XMP,
  embedded images) is out of scope here;
- the file is stored in the database (`stored_file`) by its SHA-256, once per content, so
  every app node serves what any node took and a backup holds the files with the records
  that name them; the name the citizen gave is kept only as a cleaned display name;
- it is served with the detected type, `nosniff`, a sandboxing CSP and a
  Content-Disposition, so a browser never runs anything in it.

How a photo is cleaned, and why that way: lifecycle.photos.

Callers keep the `StoredUpload` fields (hash, kind, size, display name) in their own records.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import struct
import unicodedata
import zlib
from dataclasses import dataclass
from urllib.parse import quote

from lifecycle import photos
from voting.database import write_transaction
from voting.errors import NotFound, Refused
from voting.tables import StoredFile

MAX_BYTES = 10 * 1024 * 1024       # per file
MAX_PER_PROPOSAL = 6               # files per proposal, checked by callers with check_count
MAX_NAME_CHARS = 80                # display name, extension included
CACHE_SECONDS = 3600

# kind -> (media type, extension)
KINDS = {
    "jpeg": ("image/jpeg", "jpg"),
    "png": ("image/png", "png"),
    "webp": ("image/webp", "webp"),
    "pdf": ("application/pdf", "pdf"),
}
WRONG_KIND = "只能上传 JPG、PNG、WebP 图片或 PDF 文件"



@dataclass(frozen=True)
class StoredUpload:
    sha256: str
    kind: str          # a key of KINDS
    media_type: str
    size: int
    name: str          # display name, extension matching the kind

    @property
    def is_image(self) -> bool:
        return self.media_type.startswith("image/")


# --- kind by content ---------------------------------------------------------------

def _is_png(data: bytes) -> bool:
    # signature, then the IHDR chunk first with a correct CRC and sane fields
    if not data.startswith(b"\x89PNG\r\n\x1a\n") or len(data) < 8 + 25:
        return False
    length, chunk_type = struct.unpack(">I4s", data[8:16])
    body, crc = data[16:29], struct.unpack(">I", data[29:33])[0]
    if length != 13 or chunk_type != b"IHDR" or zlib.crc32(chunk_type + body) != crc:
        return False
    width, height, depth, colour = struct.unpack(">IIBB", body[:10])
    return width > 0 and height > 0 and depth in (1, 2, 4, 8, 16) and colour in (0, 2, 3, 4, 6)


def _is_jpeg(data: bytes) -> bool:
    return photos.jpeg_first_scan(data) is not None


def _is_webp(data: bytes) -> bool:
    # RIFF container whose declared size is the whole file, form WEBP, a known first chunk
    if len(data) < 20 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return False
    riff_size = struct.unpack("<I", data[4:8])[0]
    return riff_size + 8 == len(data) and data[12:16] in (b"VP8 ", b"VP8L", b"VP8X")


def _is_pdf(data: bytes) -> bool:
    # header at the very start (no junk before it, so no polyglot), %%EOF near the end
    return re.match(rb"%PDF-[12]\.\d", data) is not None and b"%%EOF" in data[-1024:]


_CHECKS = {"jpeg": _is_jpeg, "png": _is_png, "webp": _is_webp, "pdf": _is_pdf}


def _structural_kind(data: bytes) -> str | None:
    for kind, check in _CHECKS.items():
        if check(data):
            return kind
    return None


def detect_kind(data: bytes) -> str | None:
    """The kind of `data` by its content, or None if it is not one we accept.

    For a photo this includes what can be told cheaply, without decoding it: that it is not
    cut short, that Pillow reads its header as that format, and that it has at most
    photos.MAX_PIXELS pixels. So callers that check every file with this before storing any refuse
    those photos too (`store` says why). Pixel data that is broken in other ways only shows
    when `store` decodes it; if this returns None, `store` refuses."""
    kind = _structural_kind(data)
    if kind in photos.FORMATS and not photos.header_readable(data, kind):
        return None
    return kind


_FORBIDDEN = set('\\/:*?"<>|')
_EXTENSION = re.compile(r"\.(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{1,5}$")


def display_name(original_name: str, kind: str) -> str:
    """A name safe to show and to offer for download: the last path part, without
    control or format characters and characters filesystems refuse, at most
    MAX_NAME_CHARS long, with the extension of the detected kind. Chinese is kept."""
    name = unicodedata.normalize("NFC", original_name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(" " if ch.isspace() else ch for ch in name
                   if not unicodedata.category(ch).startswith("C") or ch.isspace())
    name = "".join(ch for ch in name if ch not in _FORBIDDEN)
    name = re.sub(r" +", " ", name).strip(" .")
    name = _EXTENSION.sub("", name).strip(" .") or "附件"
    extension = "." + KINDS[kind][1]
    return name[:MAX_NAME_CHARS - len(extension)].rstrip(" .") + extension


# --- storage -----------------------------------------------------------------------

def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g}"


def check_count(existing: int, adding: int = 1, limit: int = MAX_PER_PROPOSAL) -> None:
    """Refuse adding `adding` files to a proposal that already has `existing`."""
    if existing + adding > limit:
        raise Refused(f"每个项目建议最多上传 {limit} 个附件，已有 {existing} 个", code="upload_too_many")


def prepare(data: bytes, original_name: str, max_bytes: int = MAX_BYTES) -> tuple[bytes, str, str]:
    """Check an upload and make what is stored of it: (content, kind, display name).
    Raises Refused saying why; nothing is written."""
    if not data:
        raise Refused("文件是空的", code="upload_empty")
    if len(data) > max_bytes:
        raise Refused(f"文件超过 {_megabytes(max_bytes)} MB", code="upload_too_large")
    kind = _structural_kind(data)
    if kind is None:
        raise Refused(WRONG_KIND, code="upload_kind")
    if kind in photos.FORMATS:
        data = photos.without_metadata(data, kind)
    return data, kind, display_name(original_name, kind)


def check(data: bytes, original_name: str, *, max_bytes: int = MAX_BYTES) -> None:
    """Raise Refused saying why `data` would not be stored (what `store` would refuse); writes nothing."""
    prepare(data, original_name, max_bytes)


async def _keep(prepared: list[tuple[bytes, str, str]]) -> tuple[StoredUpload, ...]:
    """Keep checked contents in the database, once per content, all in one transaction."""
    kept = tuple(StoredUpload(hashlib.sha256(content).hexdigest(), kind, KINDS[kind][0], len(content), name)
                 for content, kind, name in prepared)
    async with write_transaction():
        for upload, (content, _, _) in zip(kept, prepared):
            await StoredFile.insert(StoredFile(sha256=upload.sha256, size=upload.size, content=content)).on_conflict(
                target=StoredFile.sha256, action="DO NOTHING")
    return kept


async def store(data: bytes, original_name: str, *, max_bytes: int = MAX_BYTES) -> StoredUpload:
    """Check `data` and keep it by its hash (once per content). A photo is kept without its
    metadata, turned upright (see the module's docstring), and the hash and size are those of
    what is kept. Raises Refused, having written nothing, if it is empty, too large, not a JPEG,
    PNG, WebP or PDF, or a photo that cannot be decoded or has more than photos.MAX_PIXELS pixels."""
    prepared = await asyncio.to_thread(prepare, data, original_name, max_bytes)
    return (await _keep([prepared]))[0]


async def store_all(files: list[tuple[bytes, str]], *, existing: int = 0,
                    limit: int = MAX_PER_PROPOSAL) -> tuple[StoredUpload, ...]:
    """Store several files for one record, all or none: every file is checked (and every
    photo decoded and cleaned, off the event loop) before any is written."""
    check_count(existing, len(files), limit)
    prepared = await asyncio.to_thread(lambda: [prepare(data, name) for data, name in files])
    return await _keep(prepared)


async def read(sha256: str, size: int | None = None) -> bytes:
    """A stored upload's content. `sha256` must be 64 lowercase hex digits; if `size` is given
    the content must have that size; the content must still hash to `sha256`. NotFound otherwise."""
    if not isinstance(sha256, str) or not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise NotFound("没有找到这个附件")
    row = await StoredFile.select(StoredFile.content).where(StoredFile.sha256 == sha256).first()
    if row is None or (size is not None and len(row["content"]) != size):
        raise NotFound("没有找到这个附件")
    content = bytes(row["content"])
    # Named by its hash: a photo someone with the database swapped (a defect painted out of an
    # inspection's evidence) no longer matches its name, and is not served as if it were the one taken.
    if hashlib.sha256(content).hexdigest() != sha256:
        raise NotFound("这个附件在存储中已被改动，无法显示；请联系秘书处。")
    return content


async def stored_hashes() -> set[str]:
    """The SHA-256 of every stored upload (for checks that something was, or was not, kept)."""
    return {row["sha256"] for row in await StoredFile.select(StoredFile.sha256)}


# --- serving -----------------------------------------------------------------------

def safe_headers(stored: StoredUpload) -> dict[str, str]:
    """Response headers for serving `stored`: the detected type only, no sniffing, no
    scripts, images shown inline and PDFs downloaded."""
    extension = KINDS[stored.kind][1]
    fallback = stored.name if stored.name.isascii() and stored.name.isprintable() \
        else f"attachment-{stored.sha256[:12]}.{extension}"
    disposition = "inline" if stored.is_image else "attachment"
    return {
        "Content-Type": stored.media_type,
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f"{disposition}; filename=\"{fallback}\"; "
                               f"filename*=UTF-8''{quote(stored.name, safe='')}",
        "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox",
        "Cache-Control": f"private, max-age={CACHE_SECONDS}",
        "Cross-Origin-Resource-Policy": "same-origin",
    }
