"""安全的文件接收（附件、Excel 导入）辅助函数。纯函数模块，不依赖 Flask。

主要入口：

* :func:`sniff_attachment` —— 按文件内容（魔数）识别 PDF / JPG / PNG 附件，从不看扩展名。
* :func:`check_xlsx_safety` —— 拒绝 .xls/CSV 改名、加密文件、宏、压缩炸弹、带 DOCTYPE/ENTITY 的 XML。
* :func:`read_xlsx_sheet` —— 读取指定工作表，校验表头与合并单元格，返回按表头取值的行。
* ``parse_*_cell`` —— 单元格规范化（日期、整数、文本、枚举、身份证号），错误信息为中文。
* :func:`mark_errors_xlsx` —— 把校验错误标注回用户上传的工作簿（红色填充 + 批注 + 错误说明）。

所有面向用户的错误都以 :class:`UploadError`（``ValueError`` 子类）抛出。
"""

from __future__ import annotations

import io
import math
import operator
import posixpath
import re
import unicodedata
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.etree.ElementTree import ParseError

from defusedxml.common import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser
from defusedxml.ElementTree import fromstring as _safe_fromstring

from .idcard import IdNumberError, validate_id_number

__all__ = [
    "UploadError",
    "ATTACHMENT_TYPES",
    "ATTACHMENT_MIME_TYPES",
    "ERROR_COLUMN_HEADER",
    "ERROR_SHEET_TITLE",
    "ERROR_FILL_RGB",
    "ERROR_COMMENT_AUTHOR",
    "sniff_attachment",
    "check_xlsx_safety",
    "read_xlsx_sheet",
    "SheetRows",
    "SheetRow",
    "to_halfwidth",
    "parse_date_cell",
    "parse_int_cell",
    "parse_decimal_cell",
    "parse_text_cell",
    "parse_enum_cell",
    "parse_id_cell",
    "parse_phone_cell",
    "mark_errors_xlsx",
]

MB = 1024 * 1024

# ---------------------------------------------------------------------------
# 错误类型
# ---------------------------------------------------------------------------


class UploadError(ValueError):
    """上传文件/单元格校验错误。

    * ``message`` —— 面向用户的中文说明（不含位置）；``str(err)`` 会在前面加上"第N行「列」："。
    * ``code`` —— 机器可读原因，例如 ``zip_bomb``、``bad_type``、``too_large``、``missing_sheet``、
      ``merged_cells``、``xml_entities``、``bad_header``、``bad_value``、``empty``、``corrupt``、
      ``encrypted``、``macro``、``too_many_rows``、``unexpected_data``。
    * ``row`` —— Excel 行号（1 起），``column`` —— 表头名称（不在表头范围内时为列字母）。
    """

    def __init__(self, message: str, code: str = "invalid", *, row: int | None = None, column: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.row = row
        self.column = column

    @property
    def location(self) -> str:
        parts = []
        if self.row is not None:
            parts.append(f"第{self.row}行")
        if self.column is not None:
            parts.append(f"「{self.column}」列")
        return "".join(parts)

    def __str__(self) -> str:
        loc = self.location
        return f"{loc}：{self.message}" if loc else self.message

    def as_tuple(self) -> tuple[int | None, str | None, str]:
        """``(row, column, message)``，可直接传给 :func:`mark_errors_xlsx`。"""
        return (self.row, self.column, self.message)

    def __reduce__(self):  # 让带关键字参数的异常可以被 pickle（例如经由任务队列传递）
        return (_rebuild_upload_error, (self.message, self.code, self.row, self.column))


def _rebuild_upload_error(message, code, row, column):
    return UploadError(message, code, row=row, column=column)


def _fail(message: str, code: str = "bad_value", row: int | None = None, column: str | None = None):
    """单元格规范化函数的统一出错方式：有行列上下文时抛 UploadError，否则抛普通 ValueError。"""
    if row is not None or column is not None:
        raise UploadError(message, code, row=row, column=column)
    exc = ValueError(message)
    exc.message = message  # 与 UploadError 保持同样的属性，便于 SheetRow.cell() 转换
    exc.code = code
    raise exc


def _fmt_size(n: int) -> str:
    if n >= MB:
        return f"{n / MB:.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} 字节"


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

    if data is None or len(data) == 0:
        raise UploadError("上传的文件是空的（0 字节），请重新选择文件", "empty")
    if max_size is not None and len(data) > max_size:
        raise UploadError(f"文件大小为 {_fmt_size(len(data))}，超过了 {_fmt_size(max_size)} 的上限", "too_large")

    kind = _detect_attachment(data)
    if kind in allowed_norm:
        return kind

    actual = _describe_content(data)
    msg = f"不支持的文件类型：只能上传 {labels} 格式的文件"
    if actual:
        msg += f"，而该文件的实际内容是{actual}"
    msg += "。注意：直接修改文件扩展名并不能改变文件格式"
    raise UploadError(msg, "bad_type")


# ---------------------------------------------------------------------------
# .xlsx 安全检查
# ---------------------------------------------------------------------------

# 单个条目解压后小于此值时不做压缩比检查（高度重复的小 XML 压缩比可能很高，但无害）。
RATIO_CHECK_MIN_SIZE = 1 * MB
_CHUNK = 256 * 1024
_XML_SUFFIXES = (".xml", ".rels", ".vml")
_SAVE_AS_HINT = "请在 Excel 中选择“另存为 → Excel 工作簿(*.xlsx)”后重新上传"


def _dtd_byte_pattern() -> re.Pattern[bytes]:
    needles = []
    for kw in ("<!DOCTYPE", "<!ENTITY"):
        for enc in ("ascii", "utf-16-le", "utf-16-be"):
            needles.append(re.escape(kw.encode(enc)))
    return re.compile(b"|".join(needles))


_DTD_BYTES = _dtd_byte_pattern()
_DTD_TAIL = 32  # 跨块匹配时保留的尾部字节数（> 最长关键字长度）


def _not_xlsx_error(data: bytes) -> UploadError:
    head = data[:8]
    if head.startswith(_OLE2_SIGNATURE):
        if "EncryptionInfo".encode("utf-16-le") in data[:1 * MB] or "EncryptedPackage".encode("utf-16-le") in data:
            return UploadError("该 Excel 文件设置了打开密码，系统无法读取。请取消密码保护后重新上传", "encrypted")
        return UploadError(
            f"这是旧版 Excel 97-2003 工作簿（.xls）或 WPS 表格（.et）文件，系统只接受 .xlsx 格式。{_SAVE_AS_HINT}",
            "bad_type",
        )
    desc = _describe_content(data)
    text = _looks_like_text(data)
    if desc == "网页文件（HTML）":
        return UploadError(
            f"该文件实际上是网页（HTML）文件，只是扩展名为 Excel，可能是其他系统导出的“伪 Excel”。{_SAVE_AS_HINT}",
            "bad_type",
        )
    if text is not None and desc == "文本文件":
        return UploadError(
            f"该文件是 CSV/文本文件而不是 Excel 工作簿（可能只是改了扩展名）。{_SAVE_AS_HINT}", "bad_type"
        )
    suffix = f"（文件实际内容是{desc}）" if desc else ""
    return UploadError(f"文件不是有效的 Excel 工作簿（.xlsx）{suffix}。{_SAVE_AS_HINT}", "bad_type")


class _StopParsing(Exception):
    pass


class _RootStartTarget:
    """解析到根元素开始即停止：DOCTYPE / ENTITY 只能出现在根元素之前（序言中）。"""

    data = staticmethod(len)  # 以 C 函数作为空操作，避免字符数据回调到 Python

    def start(self, tag, attrib):
        raise _StopParsing

    def close(self):
        return None


class _PrologChecker:
    def __init__(self, part: str):
        self.part = part
        self.done = False
        self.fed = 0
        self.parser = DefusedXMLParser(
            target=_RootStartTarget(), forbid_dtd=True, forbid_entities=True, forbid_external=True
        )

    def _entities(self) -> UploadError:
        return UploadError(
            f"文件中包含不安全的 XML 声明（DOCTYPE/ENTITY，位于 {self.part}），可能是被恶意构造的文件，已拒绝处理",
            "xml_entities",
        )

    def _handle_parse_error(self):
        if self.part.lower().endswith(".vml"):
            # 旧式 VML 常常不是良构 XML；此时仅依赖字节扫描。
            self.done = True
            return
        raise UploadError(f"文件已损坏（{self.part} 不是有效的 XML），无法读取。{_SAVE_AS_HINT}", "corrupt")

    def feed(self, chunk: bytes) -> None:
        if self.done:
            return
        self.fed += len(chunk)
        try:
            self.parser.feed(chunk)
        except _StopParsing:
            self.done = True
        except DefusedXmlException:
            raise self._entities() from None
        except ParseError:
            self._handle_parse_error()

    def finish(self) -> None:
        if self.done or self.fed == 0:
            return
        try:
            self.parser.close()
        except _StopParsing:  # pragma: no cover - 根元素在最后一块
            pass
        except DefusedXmlException:
            raise self._entities() from None
        except ParseError:
            self._handle_parse_error()


def _open_zip(data: bytes) -> zipfile.ZipFile:
    if not data:
        raise UploadError("上传的文件是空的（0 字节），请重新选择文件", "empty")
    if not data.startswith(b"PK\x03\x04"):
        raise _not_xlsx_error(data)
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, KeyError):
        raise UploadError(f"文件已损坏或不完整，无法作为 Excel 工作簿打开。{_SAVE_AS_HINT}", "corrupt") from None


def check_xlsx_safety(
    data: bytes,
    max_uncompressed: int = 50 * MB,
    max_entries: int = 200,
    max_ratio: int = 100,
) -> None:
    """在交给 openpyxl / calamine 之前检查上传的 .xlsx 是否安全。不安全时抛出 :class:`UploadError`。

    * 必须是 ZIP 容器且包含 ``[Content_Types].xml`` 和工作簿部件；旧版 .xls、CSV/HTML 改名、
      Word/PPT 文档、加密文件、含宏（vbaProject.bin）的文件均拒绝（``bad_type`` / ``encrypted`` / ``macro``）；
    * 条目数不超过 ``max_entries``，单个大条目（≥1 MB）的压缩比不超过 ``max_ratio``，
      条目压缩数据互相重叠（重叠式压缩炸弹）→ ``zip_bomb``；
    * 声明的解压后总大小不超过 ``max_uncompressed`` → ``too_large``；随后逐块实际解压全部条目，
      以实际字节数再次核对（防止伪造的大小字段），同时校验 CRC；
    * 每个 XML 部件（.xml/.rels/.vml）用 defusedxml 解析序言，出现 DOCTYPE / ENTITY 即拒绝，
      并对全文做 ``<!DOCTYPE`` / ``<!ENTITY``（含 UTF-16）字节扫描作为兜底 → ``xml_entities``。
    """
    zf = _open_zip(data)
    with zf:
        infos = zf.infolist()
        if len(infos) > max_entries:
            raise UploadError(
                f"文件内部包含 {len(infos)} 个部件，超过 {max_entries} 个的上限，疑似压缩炸弹，已拒绝处理", "zip_bomb"
            )
        seen: set[str] = set()
        total_declared = 0
        total_compressed = 0
        for info in infos:
            if info.filename in seen:
                raise UploadError("文件内部结构异常（存在重名部件），已拒绝处理", "corrupt")
            seen.add(info.filename)
            if info.flag_bits & 0x1:
                raise UploadError("该 Excel 文件设置了密码保护，系统无法读取。请取消密码后重新上传", "encrypted")
            if info.file_size >= RATIO_CHECK_MIN_SIZE and info.file_size > max_ratio * max(info.compress_size, 1):
                ratio = info.file_size / max(info.compress_size, 1)
                raise UploadError(
                    f"文件内部部件 {info.filename} 的压缩比异常（约 {ratio:.0f}:1，上限 {max_ratio}:1），"
                    "疑似压缩炸弹，已拒绝处理",
                    "zip_bomb",
                )
            total_declared += info.file_size
            total_compressed += info.compress_size
        if total_compressed > len(data):
            raise UploadError("文件内部部件的数据互相重叠，疑似压缩炸弹，已拒绝处理", "zip_bomb")
        if total_declared > max_uncompressed:
            raise UploadError(
                f"文件解压后约为 {_fmt_size(total_declared)}，超过了 {_fmt_size(max_uncompressed)} 的上限。"
                "请删除无关的工作表、图片或空白格式后重新上传，或分批上传",
                "too_large",
            )

        names = set(seen)
        if "mimetype" in names and "[Content_Types].xml" not in names:
            try:
                mimetype = zf.read("mimetype")[:100]
            except Exception:
                mimetype = b""
            if b"opendocument.spreadsheet" in mimetype:
                raise UploadError(f"这是 OpenDocument 表格（.ods），系统只接受 .xlsx 格式。{_SAVE_AS_HINT}", "bad_type")
        if "[Content_Types].xml" not in names:
            raise UploadError(f"文件不是有效的 Excel 工作簿（.xlsx）（文件实际内容是 ZIP 压缩包）。{_SAVE_AS_HINT}", "bad_type")
        try:
            wb_part = _workbook_part(zf, names)
        except DefusedXmlException:
            raise UploadError(
                "文件中包含不安全的 XML 声明（DOCTYPE/ENTITY，位于 _rels/.rels），可能是被恶意构造的文件，已拒绝处理",
                "xml_entities",
            ) from None
        except (ParseError, KeyError, zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError):
            raise UploadError(f"文件已损坏或不完整，无法读取。{_SAVE_AS_HINT}", "corrupt") from None
        if wb_part is None:
            if "word/document.xml" in names:
                what = "Word 文档"
            elif "ppt/presentation.xml" in names:
                what = "PowerPoint 演示文稿"
            else:
                what = "其他类型的 Office 文档"
            raise UploadError(f"该文件是{what}，不是 Excel 工作簿。{_SAVE_AS_HINT}", "bad_type")
        if any(n.lower().endswith("vbaproject.bin") for n in names):
            raise UploadError(
                "该文件包含宏（VBA 代码），出于安全考虑不予接收。请另存为不含宏的“Excel 工作簿(*.xlsx)”后重新上传",
                "macro",
            )

        actual_total = 0
        for info in infos:
            if info.is_dir():
                continue
            is_xml = info.filename.lower().endswith(_XML_SUFFIXES)
            checker = _PrologChecker(info.filename) if is_xml else None
            tail = b""
            got = 0
            try:
                with zf.open(info) as fh:
                    while True:
                        chunk = fh.read(_CHUNK)
                        if not chunk:
                            break
                        got += len(chunk)
                        actual_total += len(chunk)
                        if got > info.file_size:
                            raise UploadError("文件内部部件的实际大小与声明不符，疑似压缩炸弹，已拒绝处理", "zip_bomb")
                        if actual_total > max_uncompressed:
                            raise UploadError(
                                f"文件解压后超过了 {_fmt_size(max_uncompressed)} 的上限，请分批上传", "too_large"
                            )
                        if checker is not None:
                            window = tail + chunk
                            # Both keywords start "<!" (UTF-16: "<\0!"): two byte scans skip the regex.
                            if (b"<!" in window or b"<\x00!" in window) and _DTD_BYTES.search(window):
                                raise checker._entities()
                            tail = window[-_DTD_TAIL:]
                            checker.feed(chunk)
            except UploadError:
                raise
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, ValueError):
                raise UploadError(f"文件已损坏或不完整，无法读取。{_SAVE_AS_HINT}", "corrupt") from None
            if checker is not None:
                checker.finish()


# ---------------------------------------------------------------------------
# 工作簿结构（用于 fast 路径的合并单元格检查）
# ---------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _rels_path(part: str) -> str:
    d, name = posixpath.split(part)
    return posixpath.join(d, "_rels", name + ".rels")


def _resolve_target(base_part: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(base_part), target))


def _read_rels(zf: zipfile.ZipFile, part: str, names: set[str]) -> list[tuple[str, str, str]]:
    """返回 (Id, Type, 已解析的目标路径) 列表。"""
    rels = _rels_path(part) if part else "_rels/.rels"
    if rels not in names:
        return []
    root = _safe_fromstring(zf.read(rels), forbid_dtd=True)
    out = []
    for el in root:
        if _local(el.tag) == "Relationship" and el.get("TargetMode") != "External":
            out.append((el.get("Id", ""), el.get("Type", ""), _resolve_target(part, el.get("Target", ""))))
    return out


def _workbook_part(zf: zipfile.ZipFile, names: set[str]) -> str | None:
    """按 _rels/.rels 的 officeDocument 关系找到工作簿部件；不是 Excel 工作簿时返回 None。"""
    for _id, typ, target in _read_rels(zf, "", names):
        if typ.endswith("/officeDocument") and target in names:
            if target.lower().endswith("workbook.xml") or "/xl/" in "/" + target:
                return target
            return None
    return "xl/workbook.xml" if "xl/workbook.xml" in names else None


def _sheet_part(zf: zipfile.ZipFile, sheet_name: str) -> str | None:
    names = set(zf.namelist())
    wb_part = _workbook_part(zf, names)
    if wb_part is None:
        return None
    root = _safe_fromstring(zf.read(wb_part), forbid_dtd=True)
    rid = None
    for el in root.iter():
        if _local(el.tag) == "sheet" and el.get("name") == sheet_name:
            for k, v in el.attrib.items():
                if _local(k) == "id" and k.startswith("{") and "relationships" in k:
                    rid = v
            break
    if rid is None:
        return None
    for _id, _typ, target in _read_rels(zf, wb_part, names):
        if _id == rid:
            return target if target in names else None
    return None


class _MergeCollector:
    data = staticmethod(len)

    def __init__(self):
        self.refs: list[str] = []

    def start(self, tag, attrib):
        if tag.endswith("mergeCell") and _local(tag) == "mergeCell":
            ref = attrib.get("ref")
            if ref:
                self.refs.append(ref)

    def close(self):
        return None


def _may_contain(zf: zipfile.ZipFile, part: str, needle: bytes) -> bool:
    tail = b""
    first = True
    with zf.open(part) as fh:
        while chunk := fh.read(_CHUNK):
            if first:
                first = False
                if chunk[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in chunk[:4]:
                    return True
            window = tail + chunk
            if needle in window:
                return True
            tail = window[-len(needle):]
    return False


def _xml_merged_ranges(data: bytes, sheet_name: str) -> list[str]:
    """轻量地从工作表 XML 的 ``<mergeCells>`` 中取出合并区域（流式解析，不建树）。"""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        part = _sheet_part(zf, sheet_name)
        return [] if part is None else _merged_refs(zf, part)


def _merged_refs(zf: zipfile.ZipFile, part: str) -> list[str]:
    # 绝大多数上传没有合并单元格：先做一次廉价的字节扫描。XML 元素名不能用字符引用转义，
    # 所以在 ASCII 兼容编码（UTF-8/GBK 等）下 <mergeCell 必然以原样字节出现；
    # UTF-16/32（有 BOM 或 NUL 字节）时不做这个捷径，直接完整解析。
    if not _may_contain(zf, part, b"mergeCell"):
        return []
    collector = _MergeCollector()
    parser = DefusedXMLParser(target=collector, forbid_dtd=True)
    with zf.open(part) as fh:
        while chunk := fh.read(_CHUNK):
            parser.feed(chunk)
    parser.close()
    return collector.refs


# ---------------------------------------------------------------------------
# 读取工作表
# ---------------------------------------------------------------------------

ERROR_COLUMN_HEADER = "错误说明"
ERROR_SHEET_TITLE = "错误说明"
ERROR_FILL_RGB = "FFFFC7CE"  # Excel “浅红色填充”
ERROR_COMMENT_AUTHOR = "系统校验"
_ORIGINAL_COMMENT_MARK = "\n——原批注——\n"

_WS_RE = re.compile(r"\s+")
_INVISIBLE_CHARS = "\u200b\u200c\u200d\u2060\ufeff"
_INVISIBLE = dict.fromkeys(map(ord, _INVISIBLE_CHARS), None)


class SheetRow(dict):
    """一行数据：``{表头: 原始值}``，``row`` 属性为 Excel 行号。"""

    __slots__ = ("row",)

    def __init__(self, row: int, values: Mapping[str, Any] | Iterable[tuple[str, Any]]):
        super().__init__(values)
        self.row = row

    def __repr__(self) -> str:
        return f"SheetRow(row={self.row}, {dict.__repr__(self)})"

    def cell(self, header: str, parser: Callable[..., Any] | None = None, /, *args, **kwargs) -> Any:
        """取出 ``header`` 列的值；给出 ``parser`` 时用它规范化，出错则抛出带行列位置的 UploadError。

        例：``row.cell("出生日期", parse_date_cell)``、``row.cell("姓名", parse_text_cell, 20)``。
        """
        value = self[header]
        if parser is None:
            return value
        try:
            return parser(value, *args, **kwargs)
        except UploadError as exc:
            if exc.row is None:
                exc.row = self.row
            if exc.column is None:
                exc.column = header
            raise
        except ValueError as exc:
            message = getattr(exc, "message", None) or str(exc)
            code = getattr(exc, "code", None) or "bad_value"
            raise UploadError(message, code, row=self.row, column=header) from exc

    def error(self, header: str | None, message: str, code: str = "bad_value") -> UploadError:
        """构造一个定位到本行（及某列）的 UploadError，供调用方收集。"""
        return UploadError(message, code, row=self.row, column=header)


@dataclass
class SheetRows:
    sheet_name: str
    headers: list[str]                     # 期望的表头（调用方给出的顺序）
    columns: dict[str, str]                # 表头 → 列字母
    header_row: int
    rows: list[SheetRow] = field(default_factory=list)

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i):
        return self.rows[i]


def _norm_header(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return _WS_RE.sub("", to_halfwidth(str(v)).translate(_INVISIBLE))


def _is_blank(v: Any) -> bool:
    if v is None:
        return True
    if v.__class__ is not str and not isinstance(v, str):
        return False
    t = v.strip()
    if t and t[0] not in _INVISIBLE_CHARS:  # a visible first character: not blank
        return False
    return not v.translate(_INVISIBLE).strip()


def _resolve_sheet_name(names: Sequence[str], wanted: str) -> str:
    if wanted in names:
        return wanted
    key = _norm_header(wanted)
    for n in names:
        if _norm_header(n) == key:
            return n
    found = "、".join(f"「{n}」" for n in names) or "（无）"
    raise UploadError(
        f"文件中没有名为「{wanted}」的工作表。文件中的工作表有：{found}。请使用系统提供的模板，不要修改工作表名称",
        "missing_sheet",
    )


def _col_letter(col: int) -> str:
    from openpyxl.utils.cell import get_column_letter

    return get_column_letter(col)


def _load_openpyxl(data: bytes, *, data_only: bool):
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return openpyxl.load_workbook(io.BytesIO(data), read_only=False, data_only=data_only, keep_links=False)
    except UploadError:
        raise
    except Exception:
        raise UploadError(f"文件已损坏或格式不受支持，无法读取。{_SAVE_AS_HINT}", "corrupt") from None


def _grid_from_openpyxl(ws) -> dict[int, dict[int, Any]]:
    grid: dict[int, dict[int, Any]] = {}
    cells = getattr(ws, "_cells", None)
    if cells is None:  # pragma: no cover - openpyxl 内部结构变化时的后备方案
        items = ((c.row, c.column, c.value) for r in ws.iter_rows() for c in r)
    else:
        items = ((r, c, cell.value) for (r, c), cell in cells.items())
    for r, c, v in items:
        if v is None or v == "":
            continue
        grid.setdefault(r, {})[c] = v
    return grid


def _calamine_cell(v: Any) -> Any:
    # 与 openpyxl 保持一致：整数值的数字返回 int（超过 15 位的大数保持 float，便于发现精度丢失），
    # 日期单元格返回 datetime（calamine 对纯日期格式返回 date）。
    if v.__class__ is float:
        return int(v) if v.is_integer() and abs(v) < 1e15 else v
    return datetime(v.year, v.month, v.day)


_CALAMINE_CONVERTED = frozenset({float, date})


def _grid_from_calamine(rows: list[list[Any]]) -> dict[int, dict[int, Any]]:
    grid: dict[int, dict[int, Any]] = {}
    conv, converted = _calamine_cell, _CALAMINE_CONVERTED
    for ri, values in enumerate(rows, start=1):
        cells = {ci: conv(v) if v.__class__ in converted else v
                 for ci, v in enumerate(values, start=1) if v is not None and v != ""}
        if cells:
            grid[ri] = cells
    return grid


def _check_merges(merges: Iterable[tuple[int, int, int, int]], header_row: int, header_names: dict[int, str]):
    bad = sorted({m for m in merges if m[2] >= header_row and (m[0], m[1]) != (m[2], m[3])})
    if not bad:
        return
    from openpyxl.utils.cell import get_column_letter as L

    def coord(m):
        return f"{L(m[1])}{m[0]}:{L(m[3])}{m[2]}"

    r0, c0, _, _ = bad[0]
    msg = f"第{r0}行第{L(c0)}列起存在合并单元格 {coord(bad[0])}"
    if len(bad) > 1:
        more = "、".join(coord(m) for m in bad[1:6])
        msg += f"（另有 {len(bad) - 1} 处：{more}{'等' if len(bad) > 6 else ''}）"
    msg += "。导入的数据区域不能有合并单元格，请取消合并并在每个单元格中分别填写后重新上传"
    raise UploadError(msg, "merged_cells", row=r0, column=header_names.get(c0, L(c0)))


def _build_rows(
    sheet_name: str,
    grid: dict[int, dict[int, Any]],
    merges: list[tuple[int, int, int, int]],
    expected_headers: Sequence[str],
    header_row: int,
    max_rows: int | None,
) -> SheetRows:
    expected = list(expected_headers)
    exp_norm: dict[str, str] = {}
    for h in expected:
        k = _norm_header(h)
        if not k or k in exp_norm:
            raise ValueError(f"expected_headers contains an empty or duplicate header: {h!r}")
        exp_norm[k] = h

    header_cells = grid.get(header_row, {})
    ignored_norm = _norm_header(ERROR_COLUMN_HEADER)
    col_of: dict[str, int] = {}       # 期望表头 → 列号
    ignored_cols: set[int] = set()
    dup: dict[str, list[int]] = {}
    unexpected: list[tuple[int, Any]] = []
    for col in sorted(header_cells):
        raw = header_cells[col]
        k = _norm_header(raw)
        if not k:
            continue
        if k == ignored_norm and ignored_norm not in exp_norm:
            ignored_cols.add(col)  # mark_errors_xlsx 生成的“错误说明”列，重新上传时忽略
            continue
        if k in exp_norm:
            name = exp_norm[k]
            if name in col_of:
                dup.setdefault(name, [col_of[name]]).append(col)
            else:
                col_of[name] = col
        else:
            unexpected.append((col, raw))

    header_names = {c: h for h, c in col_of.items()}
    _check_merges(merges, header_row, header_names)

    if not header_cells:
        raise UploadError(
            f"第{header_row}行没有表头。请使用系统提供的模板，表头应位于第{header_row}行", "bad_header", row=header_row
        )
    problems = []
    missing = [h for h in expected if h not in col_of]
    if missing:
        problems.append("缺少列" + "、".join(f"「{h}」" for h in missing))
    if unexpected:
        problems.append(
            "多出列" + "、".join(f"「{str(raw).strip()}」（{_col_letter(c)}列）" for c, raw in unexpected)
        )
    if dup:
        problems.append(
            "；".join(f"表头「{h}」重复出现（{'、'.join(_col_letter(c) + '列' for c in cols)}）" for h, cols in dup.items())
        )
    if problems:
        raise UploadError(
            "表头与模板不一致：" + "；".join(problems) + "。请使用系统提供的模板，不要增删或修改表头",
            "bad_header",
            row=header_row,
        )

    known_cols = set(col_of.values()) | ignored_cols
    names, cols = list(col_of), list(col_of.values())
    out = SheetRows(
        sheet_name=sheet_name,
        headers=expected,
        columns={h: _col_letter(c) for h, c in col_of.items()},
        header_row=header_row,
    )
    for r in sorted(k for k in grid if k > header_row):
        cells = grid[r]
        if all(_is_blank(v) for c, v in cells.items() if c not in ignored_cols):
            continue
        for c in ([] if cells.keys() <= known_cols else sorted(cells)):
            if c not in known_cols and not _is_blank(cells[c]):
                raise UploadError(
                    f"第{r}行 {_col_letter(c)} 列填写了数据，但该列没有表头。请把数据移到正确的列或删除",
                    "unexpected_data",
                    row=r,
                    column=_col_letter(c),
                )
        out.rows.append(SheetRow(r, zip(names, map(cells.get, cols))))  # {表头: 值}, built in one pass
        if max_rows is not None and len(out.rows) > max_rows:
            raise UploadError(f"数据超过 {max_rows} 行的上限，请分批上传", "too_many_rows")
    return out


# calamine 会把工作表读成“稠密”区域（行数 × 列数）：一个只有 A1 和 XFD1048576 两个单元格的
# 几 KB 文件就会让它申请上百 GB 内存并直接 abort 整个进程。因此 fast 路径先用字节扫描估算
# 区域大小的上界，超过此值（或无法估算）就退回 openpyxl 的稀疏读取。
FAST_PATH_MAX_CELLS = 5_000_000
_TAG_PREFIX = rb"<(?:[A-Za-z_][\w.-]*:)?(?:row|c)"
# Excel, WPS and openpyxl write every cell and row as <c r="B7" ...> / <row r="7" ...>: a chunk in
# which every <c and <row tag starts so (and no element has a namespace prefix) has its
# coordinates read by two literal-prefixed scans, which is all a 10,000-row sheet needs.
_RE_CELL_REF = re.compile(rb'<c r="([A-Za-z]{1,3})(\d{1,9})"')
_RE_ROW_REF = re.compile(rb'<row r="(\d{1,9})"')
# Any other chunk: every r="..." attribute anywhere counts (a cell's r need not come first, and a
# forged one in text only raises the bound), and every <row>/<c> tag not starting with r counts +1
# (calamine places it one past the previous).
_RE_ANY_REF = re.compile(rb"""r\s*=\s*["']\s*([A-Za-z]{0,3})(\d{1,9})""")
_RE_TAG_NO_REF = re.compile(_TAG_PREFIX + rb"(?=[\s/>])(?!\s+r\s*=)")
_rjust10 = operator.methodcaller("rjust", 10, b"0")
_first, _second = operator.itemgetter(0), operator.itemgetter(1)


def _canonical_chunk(buf: bytes) -> bool:
    return (buf.count(b"<c") == buf.count(b'<c r="') and buf.count(b"<row") == buf.count(b'<row r="')
            and b":c" not in buf and b":row" not in buf)


def _sheet_extent_bound(zf: zipfile.ZipFile, part: str) -> tuple[int, int] | None:
    """返回工作表区域 (最大行, 最大列) 的保守上界；无法可靠估算时返回 None。

    只看 ``<row>``/``<c>`` 起始标签（正文中的 ``<`` 必须转义，无法伪造标签）：规范写法（``r`` 为首个
    属性）的块直接取坐标；其余块里任何 ``r="..."`` 都计入最大值，没有 ``r`` 首属性的标签按每个 +1 计入。
    出现 CDATA、注释或非 ASCII 兼容编码（UTF-16 等）时放弃估算。
    """
    from openpyxl.utils.cell import column_index_from_string

    rows: set[bytes] = set()
    letters: set[bytes] = set()
    implicit = 0
    carry = b""
    first = True
    with zf.open(part) as fh:
        while True:
            chunk = fh.read(_CHUNK)
            if first and chunk:
                first = False
                if chunk[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in chunk[:4]:
                    return None
            buf = carry + chunk
            if chunk:
                cut = buf.rfind(b">") + 1  # 匹配都完整地位于一个标签内，在 '>' 之后切分不会截断匹配
                if cut == 0:
                    if len(buf) > 4 * _CHUNK:
                        return None
                    carry = buf
                    continue
                buf, carry = buf[:cut], buf[cut:]
            else:
                carry = b""
            if b"<![CDATA[" in buf or b"<!--" in buf:
                return None
            if _canonical_chunk(buf):
                refs = _RE_CELL_REF.findall(buf)
                rows.update(_RE_ROW_REF.findall(buf))
            else:
                implicit += len(_RE_TAG_NO_REF.findall(buf))
                refs = _RE_ANY_REF.findall(buf)
            letters.update(map(_first, refs))
            rows.update(map(_second, refs))
            if not chunk:
                break
    try:
        max_col = max((column_index_from_string(x.decode().upper()) for x in letters if x), default=0)
    except ValueError:
        return None
    max_row = int(max(map(_rjust10, rows), default=b"0"))
    return max_row + implicit, max_col + implicit


def _read_fast(data: bytes, sheet_name: str):
    from openpyxl.utils.cell import range_boundaries
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception:
        raise UploadError(f"文件已损坏或格式不受支持，无法读取。{_SAVE_AS_HINT}", "corrupt") from None
    zf = zipfile.ZipFile(io.BytesIO(data))  # one look at the container for the bound and the merges
    try:
        name = _resolve_sheet_name(list(wb.sheet_names), sheet_name)
        try:
            part = _sheet_part(zf, name)
            bound = _sheet_extent_bound(zf, part) if part else None
        except (ParseError, DefusedXmlException, KeyError, zipfile.BadZipFile):
            part, bound = None, None
        if bound is None or bound[0] * bound[1] > FAST_PATH_MAX_CELLS:
            return None
        try:
            sheet = wb.get_sheet_by_name(name)
            values = sheet.to_python(skip_empty_area=False)
            calamine_merges = sheet.merged_cell_ranges or []
        except Exception:
            raise UploadError(f"工作表「{name}」无法读取，文件可能已损坏。{_SAVE_AS_HINT}", "corrupt") from None
        try:
            refs = _merged_refs(zf, part)
        except (ParseError, DefusedXmlException, KeyError, zipfile.BadZipFile):
            raise UploadError(f"工作表「{name}」结构异常，无法读取。{_SAVE_AS_HINT}", "corrupt") from None
    finally:
        wb.close()
        zf.close()

    merges: set[tuple[int, int, int, int]] = set()
    for ref in refs:
        try:
            c1, r1, c2, r2 = range_boundaries(ref)
        except (ValueError, TypeError):
            continue
        if None not in (c1, r1, c2, r2):
            merges.add((r1, c1, r2, c2))
    for (r1, c1), (r2, c2) in calamine_merges:  # calamine 自身的解析结果（0 起）作为补充
        merges.add((r1 + 1, c1 + 1, r2 + 1, c2 + 1))
    return name, _grid_from_calamine(values), sorted(merges)


def read_xlsx_sheet(
    data: bytes,
    sheet_name: str,
    expected_headers: Sequence[str],
    header_row: int = 1,
    *,
    fast: bool = False,
    max_rows: int | None = None,
    **safety_limits: int,
) -> SheetRows:
    """读取上传工作簿中名为 ``sheet_name`` 的工作表。

    先执行 :func:`check_xlsx_safety`（``safety_limits`` 原样传入，如 ``max_uncompressed=...``）。
    然后：工作表不存在 → ``missing_sheet``（列出已有工作表）；表头行及以下存在合并单元格 →
    ``merged_cells``（指出区域）；表头缺列/多列/重复 → ``bad_header``；无表头的列里有数据 →
    ``unexpected_data``。表头比较时忽略空白与全/半角差异，顺序不限；``错误说明`` 列被忽略。

    返回 :class:`SheetRows`，每行是 ``{表头: 原始值}`` 的 :class:`SheetRow`（``.row`` 为 Excel 行号），
    完全空白的行被跳过，空单元格为 ``None``。值不做转换（日期单元格为 ``datetime``/``date``，数字为
    ``int``/``float``），请用 ``parse_*_cell`` 规范化。

    ``fast=False``：openpyxl（非只读模式，能看到合并单元格），适合一般大小的文件。
    ``fast=True``：python-calamine 读值 + 流式解析工作表 XML 的 ``<mergeCells>``，适合大文件。
    """
    if header_row < 1:
        raise ValueError("header_row must be >= 1")
    check_xlsx_safety(data, **safety_limits)

    if fast:
        fast_result = _read_fast(data, sheet_name)
        if fast_result is not None:
            name, grid, merges = fast_result
            return _build_rows(name, grid, merges, expected_headers, header_row, max_rows)
        # 无法证明 calamine 的稠密区域大小安全 → 退回 openpyxl（稀疏存储）路径

    wb = _load_openpyxl(data, data_only=True)
    try:
        name = _resolve_sheet_name(wb.sheetnames, sheet_name)
        ws = wb[name]
        if not hasattr(ws, "merged_cells"):
            raise UploadError(f"「{name}」是图表工作表，不包含数据", "missing_sheet")
        merges = [(m.min_row, m.min_col, m.max_row, m.max_col) for m in ws.merged_cells.ranges]
        grid = _grid_from_openpyxl(ws)
    finally:
        wb.close()
    return _build_rows(name, grid, merges, expected_headers, header_row, max_rows)


# ---------------------------------------------------------------------------
# 单元格规范化
# ---------------------------------------------------------------------------

_HALFWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_HALFWIDTH[0x3000] = 0x20


def to_halfwidth(s: str) -> str:
    """全角 ASCII 变体（U+FF01–U+FF5E）转半角，全角空格（U+3000）转半角空格。其他字符不变。"""
    return s.translate(_HALFWIDTH)


# 日期文本里常见的“类分隔符”：句号、各种横线
_DATE_PUNCT = str.maketrans({"。": ".", "．": ".", "－": "-", "—": "-", "–": "-", "−": "-", "／": "/", "\\": "/"})
_DATE_TIME_SUFFIX = r"(?:[ T]+\d{1,2}:\d{1,2}(?::\d{1,2}(?:\.\d+)?)?)?"
_DATE_PATTERNS: list[tuple[re.Pattern[str], bool]] = [
    (re.compile(r"^(\d{4})\s*([-/.])\s*(\d{1,2})\s*\2\s*(\d{1,2})" + _DATE_TIME_SUFFIX + r"$"), True),
    (re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?" + _DATE_TIME_SUFFIX + r"$"), True),
    (re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月?$"), False),
    (re.compile(r"^(\d{4})\s*[-/.]\s*(\d{1,2})$"), False),
    (re.compile(r"^(\d{4})(\d{2})(\d{2})$"), True),
    (re.compile(r"^(\d{4})(\d{2})$"), False),
]
_DATE_HINT = "请按 2003-05-01 或 2003年5月1日 的格式填写"
_EXCEL_MAX_SERIAL = 2958465  # 9999-12-31


def _make_date(y: int, m: int, d: int, raw: str, row, column) -> date:
    if not 1 <= m <= 12:
        _fail(f"日期「{raw}」中的月份 {m} 无效（应为 1–12）", "bad_date", row, column)
    try:
        return date(y, m, d)
    except ValueError:
        _fail(f"日期「{raw}」不存在：{y}年{m}月没有{d}日", "bad_date", row, column)
        raise  # pragma: no cover


def _date_from_number(v: int | float, min_year: int, max_year: int, row, column) -> date:
    raw = repr(v) if isinstance(v, float) else str(v)
    if isinstance(v, float) and not math.isfinite(v):
        _fail(f"无法识别的日期「{raw}」，{_DATE_HINT}", "bad_date", row, column)
    # 在常规格式的单元格里输入 2003.05，Excel 会存成数字 2003.05（2003.10 会变成 2003.1）
    if min_year <= v < max_year + 1:
        year = int(v)
        if v == year:
            _fail(f"日期「{year}」只有年份，缺少月份，{_DATE_HINT}", "bad_date", row, column)
        decimals = repr(float(v)).split(".", 1)[1]
        if "e" in decimals or len(decimals) > 2:
            _fail(f"无法识别的日期「{raw}」，{_DATE_HINT}", "bad_date", row, column)
        if decimals == "1":
            _fail(
                f"日期被 Excel 存成了数字 {raw}，无法判断是 {year}年1月 还是 {year}年10月。"
                "请将该列设为文本格式后按 2003-10-01 的格式填写",
                "bad_date",
                row,
                column,
            )
        return _make_date(year, int(decimals), 1, raw, row, column)
    if float(v).is_integer():
        n = int(v)
        if 10_000_000 <= n <= 99_999_999:  # 20030501
            s = str(n)
            return _make_date(int(s[:4]), int(s[4:6]), int(s[6:]), raw, row, column)
        if 100_000 <= n <= 999_999 and min_year <= n // 100 <= max_year:  # 200305
            return _make_date(n // 100, n % 100, 1, raw, row, column)
    if 1 <= v <= _EXCEL_MAX_SERIAL:  # Excel 日期序列号（1900 日期系统）
        from openpyxl.utils.datetime import from_excel

        result = from_excel(v)
        return result.date() if isinstance(result, datetime) else result
    _fail(f"无法识别的日期「{raw}」，{_DATE_HINT}", "bad_date", row, column)
    raise AssertionError  # pragma: no cover


def parse_date_cell(
    v: Any,
    *,
    required: bool = True,
    min_year: int = 1900,
    max_year: int = 2100,
    row: int | None = None,
    column: str | None = None,
) -> date | None:
    """把单元格值规范化为 ``date``。

    接受 ``datetime``/``date``；Excel 日期序列号；数字形式的 ``20030501``、``200305``、``2003.05``；
    文本 ``2003-05-01``、``2003/5/1``、``2003.05.01``、``2003.05``、``2003年5月``、``2003年5月1日``
    （全角数字、全角标点、中文句号均可；只有年月时取当月 1 日）。
    不存在的日期（如 2月30日）、年份超出 ``[min_year, max_year]`` 时报错。
    ``required=False`` 时空值返回 ``None``。
    """
    if _is_blank(v):
        if required:
            _fail("日期不能为空", "required", row, column)
        return None
    if isinstance(v, bool):
        _fail(f"无法识别的日期「{v}」，{_DATE_HINT}", "bad_date", row, column)
    if isinstance(v, datetime):
        result = v.date()
    elif isinstance(v, date):
        result = v
    elif isinstance(v, (int, float)):
        result = _date_from_number(v, min_year, max_year, row, column)
    elif isinstance(v, str):
        raw = v.strip()
        s = to_halfwidth(v).translate(_INVISIBLE).translate(_DATE_PUNCT).strip()
        result = None
        for pattern, has_day in _DATE_PATTERNS:
            m = pattern.match(s)
            if m:
                g = [x for x in m.groups() if x is not None and x not in "-/."]
                y, mo = int(g[0]), int(g[1])
                d = int(g[2]) if has_day else 1
                result = _make_date(y, mo, d, raw, row, column)
                break
        if result is None:
            if re.fullmatch(r"\d{4}\s*年?", s):
                _fail(f"日期「{raw}」只有年份，缺少月份，{_DATE_HINT}", "bad_date", row, column)
            _fail(f"无法识别的日期「{raw}」，{_DATE_HINT}", "bad_date", row, column)
    else:
        _fail(f"无法识别的日期「{v}」，{_DATE_HINT}", "bad_date", row, column)
        raise AssertionError  # pragma: no cover

    if not min_year <= result.year <= max_year:
        _fail(f"日期 {result:%Y-%m-%d} 超出合理范围（{min_year}–{max_year} 年），请核对", "bad_date", row, column)
    return result


def parse_int_cell(
    v: Any,
    *,
    min_value: int | None = None,
    max_value: int | None = None,
    required: bool = True,
    row: int | None = None,
    column: str | None = None,
) -> int | None:
    """规范化为整数。接受 int、整数值的 float（``3.0``）、文本 ``"３"``/``" 12 "``/``"1,200"``/``"12.0"``。"""
    if _is_blank(v):
        if required:
            _fail("该项不能为空，请填写整数", "required", row, column)
        return None
    if isinstance(v, bool):
        _fail(f"「{v}」不是整数", "bad_int", row, column)
    if isinstance(v, int):
        n = v
    elif isinstance(v, float):
        if not math.isfinite(v) or not v.is_integer():
            _fail(f"「{v:g}」不是整数", "bad_int", row, column)
        n = int(v)
    elif isinstance(v, str):
        raw = v.strip()
        s = to_halfwidth(v).translate(_INVISIBLE).strip().replace(",", "").replace("，", "")
        m = re.fullmatch(r"([+-]?\d+)(?:\.0*)?", s)
        if not m:
            _fail(f"「{raw}」不是整数，请只填写数字", "bad_int", row, column)
        n = int(m.group(1))
    else:
        _fail(f"「{v}」不是整数", "bad_int", row, column)
        raise AssertionError  # pragma: no cover
    if min_value is not None and n < min_value:
        _fail(f"数值 {n} 不能小于 {min_value}", "out_of_range", row, column)
    if max_value is not None and n > max_value:
        _fail(f"数值 {n} 不能大于 {max_value}", "out_of_range", row, column)
    return n


def parse_decimal_cell(
    v: Any,
    *,
    min_value: int | Decimal | None = None,
    max_value: int | Decimal | None = None,
    places: int | None = None,
    required: bool = True,
    row: int | None = None,
    column: str | None = None,
) -> Decimal | None:
    """规范化为 ``Decimal``（成绩、分数）。接受数字、文本 ``"85.5"``、``"８５．５"``、``" 90 "``。

    数字单元格按 Excel 显示的 15 位有效数字取值（公式结果 ``51.000000000000007`` → ``51``）；
    小数位超过 ``places``、超出 ``[min_value, max_value]`` 时报错。
    """
    if _is_blank(v):
        if required:
            _fail("该项不能为空，请填写数字", "required", row, column)
        return None
    if isinstance(v, bool):
        _fail(f"「{v}」不是数字", "bad_number", row, column)
    if isinstance(v, int):
        d = Decimal(v)
    elif isinstance(v, float):
        if not math.isfinite(v):
            _fail("内容不是有效的数字", "bad_number", row, column)
        d = Decimal(format(v, ".15g"))
    elif isinstance(v, (str, Decimal)):
        raw = str(v).strip()
        s = to_halfwidth(raw).translate(_INVISIBLE).replace("。", ".").strip()
        if not re.fullmatch(r"[+-]?[0-9]+(?:\.[0-9]+)?", s):
            _fail(f"「{raw}」不是数字，请只填写数字（如 85.5）", "bad_number", row, column)
        try:
            d = Decimal(s)
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
            _fail(f"「{raw}」不是数字", "bad_number", row, column)
    else:
        _fail(f"「{v}」不是数字", "bad_number", row, column)
        raise AssertionError  # pragma: no cover
    d = d.quantize(Decimal(1)) + 0 if d == d.to_integral_value() else d.normalize()  # 90.0 → 90, -0 → 0, 85.50 → 85.5
    if places is not None and -d.as_tuple().exponent > places:
        _fail(f"「{d}」最多保留 {places} 位小数", "bad_number", row, column)
    if (min_value is not None and d < min_value) or (max_value is not None and d > max_value):
        lo = "" if min_value is None else min_value
        hi = "" if max_value is None else max_value
        _fail(f"数值 {d} 超出范围，应在 {lo}–{hi} 之间", "out_of_range", row, column)
    return d


_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def parse_text_cell(
    v: Any,
    max_len: int | None = None,
    *,
    required: bool = True,
    allow_newlines: bool = False,
    row: int | None = None,
    column: str | None = None,
) -> str | None:
    """规范化文本：去掉首尾空白（含全角空格、零宽字符），拒绝控制字符/不可见格式字符，
    超过 ``max_len`` 个字符报错。``allow_newlines=True`` 时允许单元格内换行（统一为 ``\\n``）。

    数字会转成文本（``13800138000.0`` → ``"13800138000"``）；超过 15 位的数字已被 Excel 丢失精度，报错。
    ``required=False`` 时空值返回 ``None``。
    """
    if _is_blank(v):
        if required:
            _fail("该项不能为空", "required", row, column)
        return None
    if isinstance(v, bool):
        s = "TRUE" if v else "FALSE"
    elif isinstance(v, int):
        s = str(v)
    elif isinstance(v, float):
        if not math.isfinite(v):
            _fail("内容无效", "bad_text", row, column)
        if v.is_integer():
            if abs(v) >= 1e15:
                _fail(
                    "该单元格被存成了数字并丢失了位数（Excel 只保留 15 位有效数字），请将该列设为文本格式后重新填写",
                    "stored_as_number",
                    row,
                    column,
                )
            s = str(int(v))
        else:
            s = repr(v)
    elif isinstance(v, datetime):
        s = f"{v:%Y-%m-%d}" if v.time() == datetime.min.time() else f"{v:%Y-%m-%d %H:%M:%S}"
    elif isinstance(v, date):
        s = f"{v:%Y-%m-%d}"
    elif isinstance(v, str):
        s = v
    elif isinstance(v, (list, tuple, dict, set)):  # a JSON body's array or object: not a text value
        _fail("内容格式不正确，应填写文本", "bad_text", row, column)
    else:
        s = str(v)

    s = s.strip(" \t\r\n\u3000\u00a0\u200b\u200c\u200d\u2060\ufeff")
    if allow_newlines:
        s = s.replace("\r\n", "\n").replace("\r", "\n")
    # Fast path: a printable string has no Cc/Cf/Cs/Co/unassigned character (str.isprintable);
    # only the rest (spaces other than U+0020, newlines, the refused ones) needs the scan.
    for ch in ("" if s.isprintable() else s):
        if ch == "\n" and allow_newlines:
            continue
        cat = unicodedata.category(ch)
        if cat == "Cc":
            what = "换行符" if ch in "\r\n" else ("制表符" if ch == "\t" else f"控制字符 U+{ord(ch):04X}")
            _fail(f"内容中包含{what}，请删除后重新填写", "bad_text", row, column)
        if cat in ("Cf", "Cs", "Co") or ch in _BIDI_CONTROLS or ch in "\ufffe\uffff":
            _fail(f"内容中包含不可见的特殊字符（U+{ord(ch):04X}），请删除后重新填写（可尝试手动重新输入）", "bad_text", row, column)
    if not s:
        if required:
            _fail("该项不能为空", "required", row, column)
        return None
    if max_len is not None and len(s) > max_len:
        _fail(f"内容不能超过 {max_len} 个字，当前为 {len(s)} 个字", "too_long", row, column)
    return s


def parse_enum_cell(
    v: Any,
    choices: Sequence[str] | Mapping[str, Any],
    *,
    required: bool = True,
    row: int | None = None,
    column: str | None = None,
) -> Any:
    """值必须是 ``choices`` 之一（比较时去空白、忽略全/半角和英文大小写）。

    ``choices`` 为映射时按键匹配并返回对应的值（例如 ``{"是": True, "否": False}``）；
    否则返回 ``choices`` 中的规范写法。错误信息列出全部可选项。
    """
    if isinstance(v, str) and v in choices:  # the common case: exactly one of the options
        return choices[v] if isinstance(choices, Mapping) else v
    options = list(choices.keys()) if isinstance(choices, Mapping) else list(choices)
    allowed = "、".join(f"「{c}」" for c in options)
    if _is_blank(v):
        if required:
            _fail(f"该项不能为空，可选：{allowed}", "required", row, column)
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    key = _WS_RE.sub("", to_halfwidth(str(v)).translate(_INVISIBLE)).casefold()
    for opt in options:
        if _WS_RE.sub("", to_halfwidth(str(opt))).casefold() == key:
            return choices[opt] if isinstance(choices, Mapping) else opt
    _fail(f"「{str(v).strip()}」不是有效选项，可选：{allowed}", "bad_choice", row, column)


def parse_id_cell(
    v: Any,
    *,
    required: bool = True,
    row: int | None = None,
    column: str | None = None,
) -> str | None:
    """校验身份证号单元格，返回规范化的 18 位号码（详见 :mod:`portal.core.idcard`）。"""
    if _is_blank(v):
        if required:
            _fail("身份证号不能为空", "required", row, column)
        return None
    try:
        return validate_id_number(v).number
    except IdNumberError as exc:
        _fail(exc.message, exc.code, row, column)
        raise  # pragma: no cover


_PHONE_RE = re.compile(r"1[0-9]{10}|0[0-9]{2,3}-?[0-9]{7,8}")
_PHONE_SPACES = re.compile(r"[\s\u3000]+")


def parse_phone_cell(
    v: Any,
    *,
    required: bool = True,
    row: int | None = None,
    column: str | None = None,
) -> str | None:
    """手机号（1 开头 11 位）或固定电话（0 开头区号 + 号码，可带 ``-``），返回半角数字形式。

    全角数字和全角横线（中文输入法下常见）转半角，号码中的空格去掉（``138 0013 8000``）；
    数字单元格（``13800138000.0``）按文本处理。
    """
    s = parse_text_cell(v, 20, required=required, row=row, column=column)
    if s is None:
        return None
    if len(s) == 11 and s[0] == "1" and s.isascii() and s.isdigit():  # a mobile number as typed: nothing to fix
        return s
    phone = _PHONE_SPACES.sub("", to_halfwidth(s).translate(_INVISIBLE).translate(_DATE_PUNCT))
    if not _PHONE_RE.fullmatch(phone):
        _fail(f"「{s}」不是有效的电话号码", "bad_value", row, column)
    return phone


# ---------------------------------------------------------------------------
# 把错误标注回工作簿
# ---------------------------------------------------------------------------

ErrorItem = tuple[int | None, str | None, str]


def _cell_is_ours(cell) -> bool:
    fill = cell.fill
    return (
        fill is not None
        and fill.fill_type == "solid"
        and getattr(fill.fgColor, "type", None) == "rgb"
        and fill.fgColor.rgb == ERROR_FILL_RGB
    )


def mark_errors_xlsx(
    data: bytes,
    sheet_name: str,
    errors: Iterable[ErrorItem | UploadError],
    *,
    header_row: int = 1,
    **safety_limits: int,
) -> bytes:
    """返回标注了错误的工作簿副本（bytes），供用户下载修改后重新上传。

    ``errors`` 为 ``(行号, 表头名, 错误说明)`` 列表（也可直接传 :class:`UploadError`）；表头名也可以是
    列字母或列号；行号/表头为 ``None`` 表示整行或整个文件的错误。处理：

    * 出错单元格填充浅红色（:data:`ERROR_FILL_RGB`）并添加批注（作者 :data:`ERROR_COMMENT_AUTHOR`）；
    * 在数据表最右侧增加/复用「错误说明」列，写入该行全部错误；
    * 新建（或重建）「错误说明」工作表，逐条列出 行号/列/单元格/错误说明；
    * 先清除上一次标注留下的红色填充、批注和错误说明，便于反复“上传—下载—修改”。

    注意：openpyxl 重新保存时会丢失图片、图表等对象，但单元格数据、公式和格式保留。
    """
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils.cell import column_index_from_string, get_column_letter

    check_xlsx_safety(data, **safety_limits)
    wb = _load_openpyxl(data, data_only=False)
    name = _resolve_sheet_name(wb.sheetnames, sheet_name)
    ws = wb[name]
    if not hasattr(ws, "merged_cells"):
        raise UploadError(f"「{name}」是图表工作表，不包含数据", "missing_sheet")

    items: list[ErrorItem] = []
    for e in errors:
        if isinstance(e, UploadError):
            items.append(e.as_tuple())
        else:
            r, c, msg = e
            items.append((r, c, str(msg)))

    # --- 清除上一次的标注 ---
    for cell in list(getattr(ws, "_cells", {}).values()):
        if _cell_is_ours(cell):
            cell.fill = PatternFill(fill_type=None)
        com = cell.comment
        if com is not None and com.author == ERROR_COMMENT_AUTHOR:
            if _ORIGINAL_COMMENT_MARK in (com.text or ""):
                cell.comment = Comment(com.text.split(_ORIGINAL_COMMENT_MARK, 1)[1], "")
            else:
                cell.comment = None

    # --- 表头映射 ---
    header_cols: dict[str, int] = {}
    max_col = 0
    for (r, c), cell in getattr(ws, "_cells", {}).items():
        if cell.value is None or cell.value == "":
            continue
        max_col = max(max_col, c)
        if r == header_row:
            header_cols.setdefault(_norm_header(cell.value), c)
    err_col = header_cols.get(_norm_header(ERROR_COLUMN_HEADER))
    if err_col is None:
        err_col = max_col + 1
    else:
        for (r, c), cell in list(ws._cells.items()):
            if c == err_col and r > header_row and cell.value is not None:
                cell.value = None
    hdr = ws.cell(row=header_row, column=err_col, value=ERROR_COLUMN_HEADER)
    hdr.font = Font(bold=True, color="FF9C0006")
    hdr.fill = PatternFill(fill_type="solid", start_color=ERROR_FILL_RGB, end_color=ERROR_FILL_RGB)
    ws.column_dimensions[get_column_letter(err_col)].width = 60

    def resolve_col(col) -> int | None:
        if col is None:
            return None
        if isinstance(col, int) and not isinstance(col, bool):
            return col if col >= 1 else None
        k = _norm_header(col)
        if k in header_cols:
            return header_cols[k]
        if re.fullmatch(r"[A-Za-z]{1,3}", str(col).strip()):
            try:
                return column_index_from_string(str(col).strip().upper())
            except ValueError:
                return None
        return None

    fill = PatternFill(fill_type="solid", start_color=ERROR_FILL_RGB, end_color=ERROR_FILL_RGB)
    cell_msgs: dict[tuple[int, int], list[str]] = {}
    row_msgs: dict[int, list[str]] = {}
    summary: list[tuple[Any, str, str, str]] = []
    for r, col, msg in items:
        c = resolve_col(col)
        col_label = "" if col is None else str(col)
        ref = ""
        if isinstance(r, int) and r >= 1 and c is not None:
            target = ws.cell(row=r, column=c)
            for rng in ws.merged_cells.ranges:
                if rng.min_row <= r <= rng.max_row and rng.min_col <= c <= rng.max_col:
                    target = ws.cell(row=rng.min_row, column=rng.min_col)
                    break
            ref = target.coordinate
            cell_msgs.setdefault((target.row, target.column), []).append(msg)
            if isinstance(col, int):
                col_label = get_column_letter(c)
        if isinstance(r, int) and r >= 1:
            row_msgs.setdefault(r, []).append(f"「{col_label}」{msg}" if col_label else msg)
        summary.append((r if isinstance(r, int) else "", col_label, ref, msg))

    for (r, c), msgs in cell_msgs.items():
        cell = ws.cell(row=r, column=c)
        cell.fill = fill
        text = "\n".join(msgs)
        old = cell.comment
        if old is not None and old.author != ERROR_COMMENT_AUTHOR and old.text:
            text += _ORIGINAL_COMMENT_MARK + old.text
        comment = Comment(text, ERROR_COMMENT_AUTHOR)
        comment.width = 320
        comment.height = max(80, 20 * (text.count("\n") + 2))
        cell.comment = comment

    wrap = Alignment(wrap_text=True, vertical="top")
    for r, msgs in row_msgs.items():
        if r == header_row:
            continue
        cell = ws.cell(row=r, column=err_col, value="；\n".join(msgs))
        cell.alignment = wrap
        cell.font = Font(color="FF9C0006")

    # --- 汇总工作表 ---
    if ERROR_SHEET_TITLE in wb.sheetnames and ERROR_SHEET_TITLE != name:
        del wb[ERROR_SHEET_TITLE]
    if ERROR_SHEET_TITLE != name:
        ss = wb.create_sheet(ERROR_SHEET_TITLE, index=wb.sheetnames.index(name) + 1)
        ss.sheet_properties.tabColor = "FFC00000"
        ss.append(["行号", "列", "单元格", "错误说明"])
        for c in ss[1]:
            c.font = Font(bold=True)
        for r, col_label, ref, msg in sorted(summary, key=lambda t: (t[0] == "", t[0] if t[0] != "" else 0)):
            ss.append([r, col_label, ref, msg])
        for letter, width in (("A", 8), ("B", 16), ("C", 10), ("D", 80)):
            ss.column_dimensions[letter].width = width
        ss.freeze_panes = "A2"

    wb.active = wb.sheetnames.index(name)
    for other in wb.worksheets:  # 避免多个工作表同时处于选中状态
        other.sheet_view.tabSelected = other.title == name
    out = io.BytesIO()
    wb.save(out)
    wb.close()
    return out.getvalue()
