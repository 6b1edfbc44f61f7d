"""Photos without metadata: what a phone writes into a photo never reaches a public page.

A phone keeps a photo taken upright as sideways pixels plus an EXIF Orientation
tag, and browsers turn it when they show it; without the tag it would show sideways. So
the orientation is applied to the pixels (the table of ImageOps.exif_transpose, to every
frame of an animation) and the re-encoded file carries no tag at all. Every photo, turned
or not, is written again by Pillow from its decoded pixels, rather than by a lossless way
(a marker- or chunk-level filter that keeps the picture's parts as they are, with
the Orientation tag or a jpegtran-style DCT rotation, which Pillow cannot do):

- the stored file holds only what Pillow writes here, so nothing the phone added can
  survive, including what a filter would miss: MPF preview images with their own EXIF,
  "motion photo" videos or vendor trailers after a JPEG's end, private PNG chunks, and
  bytes a filter must keep because they sit inside a part it keeps (in an MPO whose
  markers were damaged, the second image's EXIF ends up inside the first one's scan);
- one path for the three formats, and no dependency beyond Pillow.

The cost is a re-encoding, kept small and invisible (about half a second for a
12-megapixel JPEG; callers store in a worker thread):

- JPEG is written with the photo's own quantization tables and chroma subsampling (what
  Pillow's quality="keep" does), so it keeps its quality and about its size; only the
  first image of an MPO is kept (the others are a phone's depth map or preview). The
  result has no APP1 (EXIF, XMP), APP13 (IPTC) or COM segment: only JFIF (APP0), the ICC
  profile (APP2) and, for CMYK, Adobe (APP14);
- PNG is lossless: the same mode, palette and transparency, an APNG's frames and timing,
  and only the colour chunks (iCCP, sRGB, gAMA, cHRM); no eXIf, tEXt, iTXt, zTXt, tIME or
  private chunk. Pillow's default compression is used, so a PNG Pillow wrote comes out
  byte for byte the same (16-bit colour becomes 8-bit, as Pillow reads it: the same on
  screen);
- WebP made losslessly stays lossless, a lossy one is written at quality 90; animations
  keep their frames, durations and loop; no EXIF or XMP chunk.

The ICC profile is kept: many phones now shoot in Display P3, and without its profile
such a photo shows washed out. A profile describes a colour space (its name and maker,
e.g. "Display P3", Apple), not the person or the place.

Whether a photo is whole is checked here as well as by Pillow, because Pillow may not say:
WeasyPrint, once imported, sets ImageFile.LOAD_TRUNCATED_IMAGES for the whole process, and
Pillow then fills what is missing with grey. A JPEG with no end after its scan or a PNG
without IEND is refused as cut short, and a PNG's compressed pixel streams must inflate to
their end. `uploads.detect_kind`, which callers use to check every file before storing any, makes
the checks that need no decoding (cut short, header, pixel count); what only decoding
shows is refused by `uploads.store`, and `uploads.store_all` decodes every file before writing any.

Used by lifecycle.uploads, which checks kinds and sizes and stores the cleaned bytes.
"""

from __future__ import annotations

import io
import struct
import zlib

from PIL import ExifTags, Image, JpegImagePlugin, PngImagePlugin

from voting.errors import Refused

MAX_PIXELS = 70_000_000            # per photo, all frames together (a 64-megapixel phone photo fits)
DAMAGED = "图片已损坏或无法读取，请换一张照片，或在手机、电脑上重新保存后再上传"
TOO_MANY_PIXELS = f"图片尺寸太大（最多 {MAX_PIXELS // 10_000} 万像素），请缩小后再上传"


def jpeg_first_scan(data: bytes) -> int | None:
    """Where a JPEG's first scan (its SOS segment) starts, or None if the file is not SOI, then
    well-formed marker segments up to that scan with a frame header before it."""
    # SOI, then well-formed marker segments up to the first scan, with a frame header before
    # it; the position of that scan's (SOS) segment, or None
    if not data.startswith(b"\xff\xd8\xff"):
        return None
    pos, seen_frame = 2, False
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return None
        while pos < len(data) and data[pos] == 0xFF:   # fill bytes
            pos += 1
        if pos + 3 > len(data):
            return None
        marker = data[pos]
        pos += 1
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:    # standalone markers
            continue
        if marker in (0x00, 0xD8, 0xD9):
            return None
        length = struct.unpack(">H", data[pos:pos + 2])[0]
        if length < 2 or pos + length > len(data):
            return None
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            seen_frame = True
        if marker == 0xDA:
            return pos if seen_frame else None
        pos += length
    return None


FORMATS = {"jpeg": ("JPEG", "MPO"), "png": ("PNG",), "webp": ("WEBP",)}

# EXIF Orientation -> what turns the stored pixels upright (the table of ImageOps.exif_transpose)
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def without_metadata(data: bytes, kind: str) -> bytes:
    """The photo `data` of `kind` (a key of FORMATS) as it is stored: decoded, turned
    upright by its EXIF orientation and written again with nothing but what the picture needs
    to look the same (see the module's docstring). Refuses, saying why in Chinese, a photo
    cut short, one that cannot be decoded, or one with more than MAX_PIXELS pixels."""
    with _open_image(data, kind) as image:
        header = dict(image.info)
        if kind == "png" and not _png_pixels_whole(data):
            raise _damaged()
        try:
            image.load()                   # before the EXIF: reading a PNG's would decode it
            return _rewritten(image, header, _orientation(image), kind, data)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise Refused(TOO_MANY_PIXELS, code="upload_pixels") from None
        except Exception:  # whatever Pillow raises on pixels it cannot decode
            raise _damaged() from None


def _damaged() -> Refused:
    return Refused(DAMAGED, code="upload_damaged")


def _open_image(data: bytes, kind: str) -> Image.Image:
    """`data` opened by Pillow as `kind`, its header read but its pixels not yet decoded.
    Refuses a file cut short, one Pillow cannot read as that format, or one with more than
    MAX_PIXELS pixels."""
    if _cut_short(data, kind):
        raise _damaged()
    try:
        image = Image.open(io.BytesIO(data), formats=list(FORMATS[kind][:1]))
        if image.format not in FORMATS[kind]:
            image.close()
            raise _damaged()
        width, height = image.size
        frames = _frame_count(image, kind)
    except Refused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Refused(TOO_MANY_PIXELS, code="upload_pixels") from None
    except Exception:  # whatever Pillow raises on content it cannot parse
        raise _damaged() from None
    if width * height * frames > MAX_PIXELS:
        image.close()
        raise Refused(TOO_MANY_PIXELS, code="upload_pixels")
    return image


def _frame_count(image: Image.Image, kind: str) -> int:
    # a JPEG is one picture: the further images of an MPO (depth map, preview) are dropped
    return 1 if kind == "jpeg" else max(1, int(getattr(image, "n_frames", 1)))


# Pillow may not report a photo cut short or with broken pixel data: WeasyPrint, once
# imported, sets ImageFile.LOAD_TRUNCATED_IMAGES for the whole process, and Pillow then fills
# what is missing with grey. So whether a photo is whole is also checked here.

def _cut_short(data: bytes, kind: str) -> bool:
    """A JPEG with no end-of-image marker after its first scan, or a PNG without its IEND
    chunk: a truncated file (a WebP's length is checked by _is_webp)."""
    if kind == "jpeg":
        return data.find(b"\xff\xd9", jpeg_first_scan(data) or 0) == -1
    return kind == "png" and b"\x00\x00\x00\x00IEND\xaeB`\x82" not in data


def _png_pixels_whole(data: bytes) -> bool:
    """Whether each compressed pixel stream of a PNG (its IDAT chunks, then the fdAT chunks
    of each APNG frame) inflates without error to its end, to no more than twice what the
    image's size needs (so a stream cannot unpack to more)."""
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour]
    limit = 2 * height * (1 + (width * channels * depth + 7) // 8) + 1024
    pos, inflater, produced, streams = 8, None, 0, 0
    try:
        while pos + 8 <= len(data):
            length, chunk_type = struct.unpack(">I4s", data[pos:pos + 8])
            body, pos = data[pos + 8:pos + 8 + length], pos + 12 + length
            if chunk_type in (b"IDAT", b"fdAT"):
                if inflater is None:
                    inflater, produced, streams = zlib.decompressobj(), 0, streams + 1
                pending = body if chunk_type == b"IDAT" else body[4:]   # fdAT: sequence number first
                while pending and not inflater.eof:                   # what follows a stream's end is ignored
                    produced += len(inflater.decompress(pending, 1 << 20))
                    if produced > limit:
                        return False
                    pending = inflater.unconsumed_tail
            elif chunk_type in (b"fcTL", b"IEND"):                     # a frame's stream ends before the next
                if inflater is not None and not inflater.eof:
                    return False
                inflater = None
                if chunk_type == b"IEND":
                    return streams > 0
    except zlib.error:
        return False
    return False


def _orientation(image: Image.Image) -> Image.Transpose | None:
    try:
        value = image.getexif().get(ExifTags.Base.Orientation)
    except Exception:  # EXIF too broken to read: nothing says the photo is turned
        return None
    return _UPRIGHT.get(value) if isinstance(value, int) else None


def _rewritten(image: Image.Image, header: dict, upright: Image.Transpose | None, kind: str,
               data: bytes) -> bytes:
    """Every frame of `image` turned by `upright` (if any) and written as `kind` with only
    what the picture needs to look the same: colour profile and chunks, transparency,
    animation timing. `header` is what Pillow read from the file's header; the frames' own
    info is emptied, as Pillow's writers fall back on it (comments, profiles)."""
    count = _frame_count(image, kind)
    frames, durations = [], []
    for index in range(count):
        image.seek(index)
        image.load()
        durations.append(int(image.info.get("duration") or 0))
        frame = image if count == 1 else image.copy()     # an animation's frames are kept apart
        if upright is not None:
            frame = frame.transpose(upright)
        frame.info = {}
        frames.append(frame)
    icc = header.get("icc_profile") or None
    first, rest = frames[0], frames[1:]
    out = io.BytesIO()
    if kind == "jpeg":
        picture = first if first.mode in ("L", "RGB", "CMYK") else first.convert("RGB")
        options: dict[str, object] = {"quality": 95}
        if getattr(image, "quantization", None):          # the photo's own tables, as quality="keep"
            options = {"qtables": image.quantization}
            if (subsampling := JpegImagePlugin.get_sampling(image)) != -1:
                options["subsampling"] = subsampling
        try:
            picture.save(out, "JPEG", icc_profile=icc, optimize=True, **options)
        except (ValueError, OSError):      # tables libjpeg will not take (e.g. 16-bit ones)
            out = io.BytesIO()
            picture.save(out, "JPEG", icc_profile=icc, optimize=True, quality=95)
    elif kind == "png":                    # Pillow's default compression: a PNG it wrote comes out the same
        options = {"pnginfo": _png_colour_chunks(header)}
        if icc:
            options["icc_profile"] = icc
        if header.get("transparency") is not None and first.mode not in ("RGBA", "LA"):
            options["transparency"] = header["transparency"]
        if rest:
            options.update(save_all=True, append_images=rest, duration=durations, loop=header.get("loop", 0),
                           default_image=bool(header.get("default_image", False)),
                           disposal=PngImagePlugin.Disposal.OP_NONE, blend=PngImagePlugin.Blend.OP_SOURCE)
        first.save(out, "PNG", **options)
    else:                                  # lossless stays lossless (written quickly), lossy at quality 90
        lossless = _webp_is_lossless(data)
        options = {"lossless": lossless, "quality": 20 if lossless else 90, "method": 0 if lossless else 4,
                   "icc_profile": icc or ""}
        if rest:
            options.update(save_all=True, append_images=rest, duration=durations, loop=header.get("loop", 0))
            if isinstance(header.get("background"), tuple) and len(header["background"]) == 4:
                options["background"] = header["background"]
        first.save(out, "WEBP", **options)
    return out.getvalue()


def _png_colour_chunks(header: dict) -> PngImagePlugin.PngInfo:
    """The PNG's colour chunks as Pillow read them (it writes iCCP itself), nothing else."""
    chunks = PngImagePlugin.PngInfo()
    if isinstance(header.get("srgb"), int):
        chunks.add(b"sRGB", bytes([header["srgb"] & 0xFF]))
    if isinstance(header.get("gamma"), float):
        chunks.add(b"gAMA", struct.pack(">I", round(header["gamma"] * 100000)))
    chromaticity = header.get("chromaticity")
    if isinstance(chromaticity, tuple) and len(chromaticity) == 8:
        chunks.add(b"cHRM", struct.pack(">8I", *(round(value * 100000) for value in chromaticity)))
    return chunks


def _webp_is_lossless(data: bytes) -> bool:
    """True if all the image data of a WebP is lossless (VP8L chunks, no lossy VP8 one)."""
    seen = set()

    def walk(start: int, end: int) -> None:
        pos = start
        while pos + 8 <= end:
            fourcc, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
            seen.add(fourcc)
            if fourcc == b"ANMF":                          # a frame: 16 bytes of header, then its chunks
                walk(pos + 8 + 16, min(pos + 8 + size, end))
            pos += 8 + size + (size & 1)

    walk(12, len(data))
    return b"VP8L" in seen and b"VP8 " not in seen


# --- names -------------------------------------------------------------------------


def header_readable(data: bytes, kind: str) -> bool:
    """What can be told without decoding the pixels: not cut short, read by Pillow as `kind`,
    at most MAX_PIXELS pixels."""
    try:
        _open_image(data, kind).close()
    except Refused:
        return False
    return True
