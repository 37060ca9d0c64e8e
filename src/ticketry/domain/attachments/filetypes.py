"""Allowed file types, and a check that a file's first bytes agree with its extension."""

from __future__ import annotations

from dataclasses import dataclass

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")

# Bytes kept from the start of an upload to check its content.
SNIFF_BYTES = 4096


@dataclass(frozen=True, slots=True)
class FileType:
    extension: str
    content_type: str
    kind: str  # "text" or a signature family


def _ft(ext: str, content_type: str, kind: str) -> FileType:
    return FileType(ext, content_type, kind)


FILE_TYPES: dict[str, FileType] = {ft.extension: ft for ft in (
    _ft("pdf", "application/pdf", "pdf"),
    _ft("doc", "application/msword", "ole2"),
    _ft("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "zip"),
    _ft("txt", "text/plain", "text"),
    _ft("rtf", "application/rtf", "rtf"),
    _ft("png", "image/png", "png"),
    _ft("jpg", "image/jpeg", "jpeg"),
    _ft("jpeg", "image/jpeg", "jpeg"),
    _ft("gif", "image/gif", "gif"),
    _ft("bmp", "image/bmp", "bmp"),
    _ft("xls", "application/vnd.ms-excel", "ole2"),
    _ft("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "zip"),
    _ft("csv", "text/csv", "text"),
    _ft("ppt", "application/vnd.ms-powerpoint", "ole2"),
    _ft("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "zip"),
    _ft("zip", "application/zip", "zip"),
    _ft("rar", "application/vnd.rar", "rar"),
    _ft("7z", "application/x-7z-compressed", "7z"),
    _ft("tar", "application/x-tar", "tar"),
    _ft("gz", "application/gzip", "gzip"),
    _ft("log", "text/plain", "text"),
    _ft("json", "application/json", "json"),
    _ft("xml", "application/xml", "xml"),
)}

# The devops document's list; other queues name theirs in `settings.allowed_extensions`.
DEFAULT_ALLOWED = ("pdf", "doc", "docx", "txt", "png", "jpg", "jpeg", "gif", "xls", "xlsx",
                   "csv", "zip", "log", "json", "xml")


def extension_of(filename: str) -> str:
    _, dot, ext = filename.rpartition(".")
    return ext.lower() if dot else ""


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut off by the sniff window is still text.
        if exc.start < len(head) - 3:
            try:
                head.decode("cp1252")
            except UnicodeDecodeError:
                return False
    return True


def content_matches(file_type: FileType, head: bytes) -> bool:
    kind = file_type.kind
    if kind == "pdf":
        return head.startswith(b"%PDF-")
    if kind == "ole2":
        return head.startswith(OLE2)
    if kind == "zip":
        return head.startswith(ZIP_MAGICS)
    if kind == "png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if kind == "jpeg":
        return head.startswith(b"\xff\xd8\xff")
    if kind == "gif":
        return head.startswith((b"GIF87a", b"GIF89a"))
    if kind == "bmp":
        return head.startswith(b"BM")
    if kind == "rtf":
        return head.startswith(b"{\\rtf")
    if kind == "rar":
        return head.startswith(b"Rar!\x1a\x07")
    if kind == "7z":
        return head.startswith(b"7z\xbc\xaf\x27\x1c")
    if kind == "tar":
        return head[257:262] == b"ustar"
    if kind == "gzip":
        return head.startswith(b"\x1f\x8b")
    if not _looks_like_text(head):
        return False
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if kind == "json":
        return stripped[:1] in (b"{", b"[", b'"') or stripped[:1].isdigit() or stripped[:4] in (
            b"true", b"null") or stripped[:5] == b"false" or not stripped
    if kind == "xml":
        return stripped[:1] == b"<" or not stripped
    return True
