"""Attachments: the type by content (magic bytes, never the name), and the names kept for them."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence


from .errors import _BIDI_CONTROLS, _fmt_size, UploadError

# ---------------------------------------------------------------------------
# 附件类型识别
# ---------------------------------------------------------------------------

ATTACHMENT_TYPES: dict[str, str] = {"pdf": "PDF", "jpg": "JPG", "png": "PNG"}
ATTACHMENT_MIME_TYPES: dict[str, str] = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}
_TYPE_ALIASES = {"jpeg": "jpg", "jpe": "jpg"}

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _detect_attachment(data: bytes) -> str | None:
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    # PNG：8 字节签名 + 第一个数据块必须是 IHDR
    if data.startswith(_PNG_SIGNATURE) and data[12:16] == b"IHDR":
        return "png"
    return None


def _looks_like_text(data: bytes) -> str | None:
    sample = data[:4096]
    if b"\x00" in sample:
        return None
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return sample.decode(enc)
        except UnicodeDecodeError as exc:
            # 截断在多字节字符中间的情况
            if exc.start >= len(sample) - 4:
                return sample[: exc.start].decode(enc, errors="ignore")
    return None


def _describe_content(data: bytes) -> str | None:
    """给出文件"实际是什么"的中文描述，用于错误提示。"""
    head = data[:64]
    kind = _detect_attachment(data)
    if kind:
        return {"pdf": "PDF 文档", "jpg": "JPG 图片", "png": "PNG 图片"}[kind]
    if head.startswith(b"MZ"):
        return "Windows 可执行程序（EXE/DLL）"
    if head.startswith(b"\x7fELF"):
        return "可执行程序（ELF）"
    if head.startswith(_OLE2_SIGNATURE):
        return "旧版 Office 文档（.doc/.xls/.ppt）"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "ZIP 压缩包或 Office 文档"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "GIF 图片"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP 图片"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"heim", b"heis"):
        return "HEIC 图片（苹果手机照片格式，请先转换为 JPG）"
    if head.startswith((b"Rar!", b"7z\xbc\xaf")):
        return "压缩包"
    text = _looks_like_text(data)
    if text is not None:
        lowered = text.lstrip().lower()
        if lowered.startswith(("<!doctype html", "<html", "<head", "<body", "<script")) or "<html" in lowered[:1024]:
            return "网页文件（HTML）"
        if lowered.startswith("<svg") or ("<svg" in lowered[:1024] and lowered.startswith("<?xml")):
            return "SVG 矢量图"
        if lowered.startswith("<?xml"):
            return "XML 文本文件"
        return "文本文件"
    try:
        import filetype

        guess = filetype.guess(data[:8192])
    except Exception:  # pragma: no cover - 仅用于提示信息
        guess = None
    if guess is not None:
        return f"{guess.extension.upper()} 格式文件"
    return None


def sniff_attachment(
    data: bytes,
    allowed: Sequence[str] = ("pdf", "jpg", "png"),
    *,
    max_size: int | None = None,
) -> str:
    """按内容识别附件类型，返回 ``'pdf'`` / ``'jpg'`` / ``'png'`` 之一。

    只看文件开头的魔数（PDF ``%PDF-``，JPEG ``FF D8 FF``，PNG 签名 + IHDR），从不相信扩展名
    或浏览器给出的 Content-Type。不在 ``allowed`` 中的类型、空文件、超过 ``max_size`` 的文件
    抛出 :class:`UploadError`（code 分别为 ``bad_type`` / ``empty`` / ``too_large``）。
    """
    allowed_norm: list[str] = []
    for a in allowed:
        key = str(a).lower().lstrip(".")
        key = _TYPE_ALIASES.get(key, key)
        if key not in ATTACHMENT_TYPES:
            raise ValueError(f"unsupported attachment type in allowed: {a!r}")
        if key not in allowed_norm:
            allowed_norm.append(key)
    labels = "、".join(ATTACHMENT_TYPES[k] for k in allowed_norm)

    check_size(data, max_size)
    kind = _detect_attachment(data)
    if kind in allowed_norm:
        return kind
    raise wrong_type(data, labels)


def check_size(data: bytes | None, max_size: int | None) -> None:
    """An empty file (``empty``) or one over ``max_size`` (``too_large``) is refused."""
    if data is None or len(data) == 0:
        raise UploadError("上传的文件是空的（0 字节），请重新选择文件", "empty")
    if max_size is not None and len(data) > max_size:
        raise UploadError(f"文件大小为 {_fmt_size(len(data))}，超过了 {_fmt_size(max_size)} 的上限", "too_large")


def wrong_type(data: bytes, labels: str, actual: str | None = None) -> UploadError:
    """The refusal of a file that is none of ``labels``, saying what it really is."""
    actual = actual or _describe_content(data)
    msg = f"不支持的文件类型：只能上传 {labels} 格式的文件"
    if actual:
        msg += f"，而该文件的实际内容是{actual}"
    msg += "。注意：直接修改文件扩展名并不能改变文件格式"
    return UploadError(msg, "bad_type")


# ---------------------------------------------------------------------------
# 上传文件的名称
# ---------------------------------------------------------------------------

FILENAME_MAX_CHARS = 255
_RAW_FILENAME = re.compile(r'(?:^|;)\s*filename\s*=\s*"([^"]*)"', re.IGNORECASE)
_TYPE_EXTENSIONS = {"pdf": ("pdf",), "jpg": ("jpg", "jpeg", "jpe"), "png": ("png",)}
_KNOWN_EXTENSIONS = {e for exts in _TYPE_EXTENSIONS.values() for e in exts}


def uploaded_filename(storage) -> str:
    """客户端给出的文件名（``werkzeug.FileStorage`` 或任何有 ``filename`` / ``headers`` 的对象）。

    Werkzeug 把 multipart 里带引号的文件名当作转义字符串解析，Windows 路径里的反斜杠因此被吞掉
    （``C:\\Users\\me\\x.pdf`` → ``C:Usersmex.pdf``），之后再也取不到基本名。原始的
    Content-Disposition 里仍有反斜杠时，以原始值为准。"""
    name = getattr(storage, "filename", None) or ""
    headers = getattr(storage, "headers", None)
    raw = headers.get("Content-Disposition") if headers is not None else None
    if raw:
        m = _RAW_FILENAME.search(raw)
        if m and m.group(1).count("\\") > name.count("\\"):
            name = m.group(1)
    return name


def safe_filename(name: str | None, *, max_chars: int = FILENAME_MAX_CHARS) -> str:
    """用于保存和显示的文件名：取基本名（``/`` 与 ``\\`` 都是路径分隔符），去掉控制字符（含 NUL）、
    不可见格式字符和首尾的空白与点，NFC 规范化；超长时截短主名、保留扩展名。可能返回空串。"""
    s = unicodedata.normalize("NFC", str(name or ""))
    s = s.replace("\\", "/").rsplit("/", 1)[-1]
    s = "".join(ch for ch in s if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn")
                and ch not in _BIDI_CONTROLS)
    s = s.strip(" .\u3000")
    if len(s) <= max_chars:
        return s
    stem, dot, ext = s.rpartition(".")
    if dot and 0 < len(ext) <= 16 and stem:
        return stem[: max_chars - len(ext) - 1].rstrip(" .") + "." + ext
    return s[:max_chars]


def attachment_filename(name: str | None, ftype: str, *, max_chars: int = FILENAME_MAX_CHARS) -> str:
    """附件的文件名：:func:`safe_filename`，且扩展名跟随实际内容类型（内容是 PNG、名叫 ``证明.pdf``
    → ``证明.png``），这样下载时文件名与 Content-Type 一致。"""
    exts = _TYPE_EXTENSIONS[ftype]
    s = safe_filename(name, max_chars=max_chars)
    stem, dot, ext = s.rpartition(".")
    if dot and ext.lower() in _KNOWN_EXTENSIONS:
        if ext.lower() in exts:
            return s
        s = stem.rstrip(" .")
    if not s:
        s = "附件"
    return s[: max_chars - len(exts[0]) - 1].rstrip(" .") + "." + exts[0]
