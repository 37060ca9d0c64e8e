"""Minimal real files of every type the healthcare document allows."""

from __future__ import annotations

import gzip
import io
import struct
import tarfile
import zipfile
import zlib


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def bmp() -> bytes:
    pixels = b"\x00\x00\xff\x00"  # one red pixel, padded to 4 bytes
    info = struct.pack("<IiiHHIIiiII", 40, 1, 1, 1, 24, 0, len(pixels), 2835, 2835, 0, 0)
    size = 14 + len(info) + len(pixels)
    return b"BM" + struct.pack("<IHHI", size, 0, 0, 14 + len(info)) + info + pixels


def ole2() -> bytes:
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    header[24:26] = struct.pack("<H", 0x3E)
    header[26:28] = struct.pack("<H", 3)
    header[28:30] = struct.pack("<H", 0xFFFE)
    header[30:32] = struct.pack("<H", 9)
    header[32:34] = struct.pack("<H", 6)
    header[48:52] = struct.pack("<I", 0xFFFFFFFE)
    header[56:60] = struct.pack("<I", 4096)
    header[60:64] = struct.pack("<I", 0xFFFFFFFE)
    header[68:72] = struct.pack("<I", 0xFFFFFFFE)
    header[76:512] = b"\xff" * 436
    return bytes(header)


def zipped(members: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def tar() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        data = b"ERROR connection refused\n"
        info = tarfile.TarInfo("app.log")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


_TYPES = ('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
          'package/2006/content-types"/>')

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
       b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffdb004300") + b"\x08" * 64 + bytes.fromhex(
    "ffc0000b080001000101011100ffc40014000100000000000000000000000000000000ffda0008010100003f00"
    "d2cf20ffd9")
GIF = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002"
                    "014400003b")
RAR = b"Rar!\x1a\x07\x01\x00" + bytes(32)
SEVEN_Z = b"7z\xbc\xaf\x27\x1c\x00\x04" + bytes(24)

# One small, genuine file of every allowed extension ("File Restrictions", in the document's order).
ALLOWED: dict[str, bytes] = {
    "report.pdf": PDF,
    "report.doc": ole2(),
    "report.docx": zipped({"[Content_Types].xml": _TYPES, "word/document.xml": "<w:document/>"}),
    "notes.txt": b"Patient record module down since 08:00.\n",
    "notes.rtf": b"{\\rtf1\\ansi\\deff0 {\\fonttbl {\\f0 Times;}}\\f0 Hello}\n",
    "photo.jpg": JPEG,
    "photo.jpeg": JPEG,
    "screenshot.png": png(),
    "spinner.gif": GIF,
    "scan.bmp": bmp(),
    "stats.xls": ole2(),
    "stats.xlsx": zipped({"[Content_Types].xml": _TYPES, "xl/workbook.xml": "<workbook/>"}),
    "stats.csv": b"center,incidents\n305,4\n273,1\n",
    "slides.ppt": ole2(),
    "slides.pptx": zipped({"[Content_Types].xml": _TYPES, "ppt/presentation.xml": "<p:presentation/>"}),
    "logs.zip": zipped({"app.log": "ERROR boom\n"}),
    "logs.rar": RAR,
    "logs.7z": SEVEN_Z,
    "logs.tar": tar(),
    "logs.gz": gzip.compress(b"ERROR boom\n", mtime=0),
}
