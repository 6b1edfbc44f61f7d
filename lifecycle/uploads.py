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
- the file is stored under the data directory by its SHA-256 (`uploads/ab/ab…`),
  written atomically and once per content; the name the citizen gave is kept only as a
  cleaned display name, never as a path;
- it is served with the detected type, `nosniff`, a sandboxing CSP and a
  Content-Disposition, so a browser never runs anything in it.

How a photo is cleaned, and why that way: lifecycle.photos.

Filesystem only: callers keep the `StoredUpload` fields in the database.
"""

from __future__ import annotations

import hashlib
import os
import re
import struct
import tempfile
import unicodedata
import zlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import config
from lifecycle import photos
from voting.errors import NotFound, Refused

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

def uploads_dir() -> Path:
    return config.settings().data_dir / "uploads"


def _path(sha256: str, root: Path | None) -> Path:
    return (root or uploads_dir()) / sha256[:2] / sha256


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g}"


def check_count(existing: int, adding: int = 1, limit: int = MAX_PER_PROPOSAL) -> None:
    """Refuse adding `adding` files to a proposal that already has `existing`."""
    if existing + adding > limit:
        raise Refused(f"每个项目建议最多上传 {limit} 个附件，已有 {existing} 个", code="upload_too_many")


def _prepared(data: bytes, original_name: str, max_bytes: int = MAX_BYTES) -> tuple[bytes, str, str]:
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


def _write(content: bytes, kind: str, name: str, root: Path | None) -> StoredUpload:
    sha256 = hashlib.sha256(content).hexdigest()
    target = _path(sha256, root)
    if not (target.is_file() and target.stat().st_size == len(content)):
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".part-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(content)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    return StoredUpload(sha256, kind, KINDS[kind][0], len(content), name)


def store(data: bytes, original_name: str, *, max_bytes: int = MAX_BYTES,
          root: Path | None = None) -> StoredUpload:
    """Check `data` and keep it under the uploads directory by its hash (once per content).
    A photo is kept without its metadata, turned upright (see the module's docstring), and
    the hash and size are those of what is kept. Raises Refused, having written nothing, if
    it is empty, too large, not a JPEG, PNG, WebP or PDF, or a photo that cannot be decoded
    or has more than photos.MAX_PIXELS pixels."""
    return _write(*_prepared(data, original_name, max_bytes), root)


def open_stored(sha256: str, size: int | None = None, *, root: Path | None = None) -> Path:
    """The path of a stored upload. `sha256` must be 64 lowercase hex digits (so it is
    never a path of its own); if `size` is given the file must have that size."""
    if not isinstance(sha256, str) or not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise NotFound("没有找到这个附件")
    path = _path(sha256, root)
    if not path.is_file() or (size is not None and path.stat().st_size != size):
        raise NotFound("没有找到这个附件")
    return path


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


def store_all(files: list[tuple[bytes, str]], *, existing: int = 0,
              limit: int = MAX_PER_PROPOSAL) -> tuple[StoredUpload, ...]:
    """Store several files for one record, all or none: every file is checked (and every
    photo decoded and cleaned) before any is written."""
    check_count(existing, len(files), limit)
    prepared = [_prepared(data, name) for data, name in files]  # raises Refused, having written nothing
    return tuple(_write(content, kind, name, None) for content, kind, name in prepared)
