"""Workbook safety: container checks (zip bombs, macros, DTDs, unpacked size) and the byte scans that
bound a sheet's cells and text before anything reads it."""
from __future__ import annotations

import io
import operator
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError

from defusedxml.common import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser
from defusedxml.ElementTree import fromstring as _safe_fromstring

from .errors import _col_letter, _fmt_size, MB, UploadError
from .attachments import _describe_content, _looks_like_text, _OLE2_SIGNATURE

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



# calamine 会把工作表读成“稠密”区域（行数 × 列数）：一个只有 A1 和 XFD1048576 两个单元格的
# 几 KB 文件就会让它申请上百 GB 内存并直接 abort 整个进程；它还会把共享字符串逐个单元格复制
# （一个 1 MB 的共享字符串被 4,200 个单元格引用 → 4 GB）。因此 fast 路径先用字节扫描估算区域
# 大小和单元格文字总量的上界，任一超出（或无法估算）就改用逐行流式读取（openpyxl 的工作表
# 解析器，共享字符串只存一份），流式读取时按单元格数、行数、文字量和单格长度边读边计数，
# 一超出就停止并拒绝——内存的上限在读之前就定好了，而不是读完再看。
FAST_PATH_MAX_CELLS = 1_000_000
# 所有单元格文字（共享字符串按引用次数重复计算）的总量上限（字符/字节）。
TEXT_BUDGET = 32 * MB
# Excel 单个单元格最多 32,767 个字符；更长的内容不可能由 Excel 写出。
EXCEL_MAX_CELL_CHARS = 32767
# 流式读取时解析的单元格（含只有格式的空单元格）与行元素的上限。
MAX_SHEET_CELLS = 600_000
MAX_SHEET_ROW_ELEMENTS = 200_000
# 共享字符串表的上限（条数、字节）：读取任何工作表都要先把它整个装入内存。
MAX_SHARED_STRINGS = 400_000
MAX_SHARED_STRINGS_BYTES = 24 * MB
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
# Cells (any prefix) and every t="..." attribute that is not one of the non-shared types: each of
# those may be a shared-string reference (forged ones in text only raise the bound).
_RE_CELL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c(?=[\s/>])")
_RE_T_ATTR = re.compile(rb"""\bt\s*=\s*["']""")
_RE_T_PLAIN = re.compile(rb"""\bt\s*=\s*(["'])(?:n|b|e|d|str|inlineStr)\1""")
_rjust10 = operator.methodcaller("rjust", 10, b"0")
_first, _second = operator.itemgetter(0), operator.itemgetter(1)


def _canonical_chunk(buf: bytes) -> bool:
    return (buf.count(b"<c") == buf.count(b'<c r="') and buf.count(b"<row") == buf.count(b'<row r="')
            and b":c" not in buf and b":row" not in buf)


@dataclass
class _SheetScan:
    """Byte-scan upper bounds for one worksheet part (see :func:`_scan_sheet`)."""

    max_row: int
    max_col: int
    cells: int          # <c> tags
    shared_refs: int    # cells that may reference a shared string
    size: int           # uncompressed bytes of the part (bounds every inline text)


def _scan_sheet(zf: zipfile.ZipFile, part: str) -> _SheetScan | None:
    """工作表区域 (最大行, 最大列)、单元格数和可能的共享字符串引用数的保守上界；无法可靠估算时返回 None。

    只看 ``<row>``/``<c>`` 起始标签（正文中的 ``<`` 必须转义，无法伪造标签）：规范写法（``r`` 为首个
    属性）的块直接取坐标；其余块里任何 ``r="..."`` 都计入最大值，没有 ``r`` 首属性的标签按每个 +1 计入。
    出现 CDATA、注释或非 ASCII 兼容编码（UTF-16 等）时放弃估算。
    """
    from openpyxl.utils.cell import column_index_from_string

    rows: set[bytes] = set()
    letters: set[bytes] = set()
    implicit = cells = shared = size = 0
    carry = b""
    first = True
    with zf.open(part) as fh:
        while True:
            chunk = fh.read(_CHUNK)
            size += len(chunk)
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
                cells += buf.count(b"<c ")
            else:
                implicit += len(_RE_TAG_NO_REF.findall(buf))
                refs = _RE_ANY_REF.findall(buf)
                cells += len(_RE_CELL_TAG.findall(buf))
            if b"t=" in buf or b"t " in buf:
                shared += len(_RE_T_ATTR.findall(buf)) - len(_RE_T_PLAIN.findall(buf))
            letters.update(map(_first, refs))
            rows.update(map(_second, refs))
            if not chunk:
                break
    try:
        max_col = max((column_index_from_string(x.decode().upper()) for x in letters if x), default=0)
    except ValueError:
        return None
    max_row = int(max(map(_rjust10, rows), default=b"0"))
    return _SheetScan(max_row + implicit, max_col + implicit, cells, shared, size)


def _sheet_extent_bound(zf: zipfile.ZipFile, part: str) -> tuple[int, int] | None:
    """返回工作表区域 (最大行, 最大列) 的保守上界；无法可靠估算时返回 None（见 :func:`_scan_sheet`）。"""
    scan = _scan_sheet(zf, part)
    return None if scan is None else (scan.max_row, scan.max_col)


_SI_OPEN = re.compile(rb"<si(?=[\s/>])")
# An attribute value (a tag's ="...) reaching, before its closing quote, "<si": an "<si" inside it
# (not well-formed, but a lenient parser may take it). Such a table gets no byte bound.
_SI_IN_QUOTES = re.compile(rb"""<[^<>]*=\s*["'][^"']*<si(?=[\s/>])""")


@dataclass
class _StringsScan:
    count: int          # <si> items (an upper bound)
    size: int           # uncompressed bytes of all tables (bounds their total text)
    max_item: int | None  # bytes of the largest item (bounds its text); None: no bound


def _shared_strings_parts(zf: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    return [i for i in zf.infolist() if i.filename.lower().endswith("sharedstrings.xml")]


def _scan_shared_strings(zf: zipfile.ZipFile) -> _StringsScan:
    """共享字符串表的条数、字节数，以及单条内容字节数的上界（每条的文字都位于它的 ``<si`` 与下一个
    ``<si`` 之间，正文里的 ``<`` 必须转义）。出现 CDATA、注释、UTF-16 或引号里的 ``<si`` 时不给单条上界。
    表的字节数先按上限核对，未超限才读入（:data:`MAX_SHARED_STRINGS_BYTES`）。"""
    parts = _shared_strings_parts(zf)
    size = sum(i.file_size for i in parts)
    if size > MAX_SHARED_STRINGS_BYTES:
        return _StringsScan(0, size, None)
    count = 0
    max_item: int | None = 0
    for info in parts:
        with zf.open(info) as fh:
            body = fh.read(MAX_SHARED_STRINGS_BYTES + 1)
        if (body[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in body[:4] or b"<![CDATA[" in body
                or b"<!--" in body or b":si" in body or _SI_IN_QUOTES.search(body)):
            max_item = None
        starts = [m.start() for m in _SI_OPEN.finditer(body)]
        count += len(starts)
        if max_item is not None and starts:
            starts.append(len(body))
            max_item = max(max_item, max(b - a for a, b in zip(starts, starts[1:])))
    return _StringsScan(count, size, max_item)


def _check_shared_strings(scan: _StringsScan) -> None:
    if scan.count > MAX_SHARED_STRINGS or scan.size > MAX_SHARED_STRINGS_BYTES:
        raise UploadError(
            f"文件中的不重复文字内容过多（约 {scan.count} 条、{_fmt_size(scan.size)}，上限为 {MAX_SHARED_STRINGS} 条、"
            f"{_fmt_size(MAX_SHARED_STRINGS_BYTES)}），请删除无关的工作表或内容后分批上传",
            "too_large",
        )


def _cell_too_long(row: int, col: int, length: int, limit: int = EXCEL_MAX_CELL_CHARS) -> UploadError:
    if limit < EXCEL_MAX_CELL_CHARS:
        message = f"单元格内容有 {length:,} 个字，超过了 {limit:,} 个字的上限，请检查文件"
    else:
        message = (f"单元格内容有 {length:,} 个字，超过了 Excel 单元格 {limit:,} 个字的上限，"
                   "文件可能不是由 Excel 保存的或已被篡改，已拒绝处理")
    return UploadError(message, "too_large", row=row, column=_col_letter(col))


def _text_over_budget() -> UploadError:
    return UploadError(
        f"工作表中的文字内容总量超过了 {_fmt_size(TEXT_BUDGET)} 的上限（同一段文字被大量单元格重复引用也会计入），"
        "疑似被恶意构造的文件，已拒绝处理",
        "too_large",
    )


def _too_many_cells(limit: int) -> UploadError:
    return UploadError(
        f"工作表包含超过 {limit:,} 个单元格（含只设置了格式的空白单元格），请删除无关的行、列或格式后重新上传",
        "too_large",
    )


def _too_many_rows(max_rows: int) -> UploadError:
    return UploadError(f"数据超过 {max_rows} 行的上限，请分批上传", "too_many_rows")


def _fast_path_safe(scan: _SheetScan | None, strings: _StringsScan) -> bool:
    """calamine 读取的内存上界（稠密区域 + 逐格复制的文字）在限额内时才走 fast 路径。"""
    if scan is None or strings.max_item is None:
        return False
    if scan.max_row * scan.max_col > FAST_PATH_MAX_CELLS:
        return False
    return scan.shared_refs * strings.max_item + scan.size <= TEXT_BUDGET
