"""安全的文件接收（附件、Excel 导入）辅助函数。纯函数模块，不依赖 Flask。

主要入口：

* :func:`sniff_attachment` —— 按文件内容（魔数）识别 PDF / JPG / PNG 附件，从不看扩展名。
* :func:`check_xlsx_safety` —— 拒绝 .xls/CSV 改名、加密文件、宏、压缩炸弹、带 DOCTYPE/ENTITY 的 XML。
* :func:`read_xlsx_sheet` —— 读取指定工作表，校验表头与合并单元格，返回按表头取值的行。
* ``parse_*_cell`` —— 单元格规范化（日期、整数、文本、枚举、身份证号），错误信息为中文。
* :func:`mark_errors_xlsx` —— 把校验错误标注回用户上传的工作簿（红色填充 + 批注 + 错误说明）。

所有面向用户的错误都以 :class:`UploadError`（``ValueError`` 子类）抛出。

模块（按接缝拆分，issue 11 第 8 项）：``errors``（错误类型与提示用的小工具）、``attachments``（附件内容识别与
文件名；文件的保存在 :mod:`portal.core.vault`）、``safety``（容器检查与字节扫描的上限）、``reading``（读取工作表）、
``cells``（单元格规范化）、``marking``（错误标注）。这里重新导出各模块的全部名称，调用方照旧
``from portal.core.uploads import ...``。

Assigning one of those names here (``monkeypatch.setattr(uploads, "TEXT_BUDGET", ...)``, as the
tests do to shrink a limit) also assigns it in every part that holds the same object, so the
parts read the new value: the limits stay settable in one place, as they were in one module.
"""

from __future__ import annotations

import sys
import types

from .errors import (  # noqa: F401
    _BIDI_CONTROLS, _col_letter, ECHO_MAX_CHARS, _fail, _fmt_size, MAX_MESSAGE_CHARS, MAX_REPORTED_ERRORS,
    MB, _q, _rebuild_upload_error, too_many_errors_note, UploadError,
)
from .attachments import (  # noqa: F401
    attachment_filename, ATTACHMENT_MIME_TYPES, ATTACHMENT_TYPES, check_size, _describe_content,
    _detect_attachment, FILENAME_MAX_CHARS, _KNOWN_EXTENSIONS, _looks_like_text, _OLE2_SIGNATURE,
    _PNG_SIGNATURE, _RAW_FILENAME, safe_filename, sniff_attachment, _TYPE_ALIASES, _TYPE_EXTENSIONS,
    uploaded_filename, wrong_type,
)
from .safety import (  # noqa: F401
    _canonical_chunk, _cell_too_long, _check_shared_strings, check_xlsx_safety, _CHUNK, _dtd_byte_pattern,
    _DTD_BYTES, _DTD_TAIL, EXCEL_MAX_CELL_CHARS, FAST_PATH_MAX_CELLS, _fast_path_safe, _local,
    MAX_SHARED_STRINGS, MAX_SHARED_STRINGS_BYTES, MAX_SHEET_CELLS, MAX_SHEET_ROW_ELEMENTS, _may_contain,
    _MergeCollector, _merged_refs, _not_xlsx_error, _open_zip, _PrologChecker, RATIO_CHECK_MIN_SIZE,
    _RE_ANY_REF, _RE_CELL_REF, _RE_CELL_TAG, _RE_ROW_REF, _RE_T_ATTR, _RE_T_PLAIN, _RE_TAG_NO_REF,
    _read_rels, _rels_path, _resolve_target, _rjust10, _RootStartTarget, _SAVE_AS_HINT, _scan_shared_strings,
    _scan_sheet, _shared_strings_parts, _sheet_extent_bound, _sheet_part, _SheetScan, _SI_IN_QUOTES,
    _SI_OPEN, _StopParsing, _StringsScan, _TAG_PREFIX, TEXT_BUDGET, _text_over_budget, _too_many_cells,
    _too_many_rows, _workbook_part, _xml_merged_ranges, _XML_SUFFIXES,
)
from .cells import (  # noqa: F401
    _date_from_number, _DATE_HINT, _DATE_PATTERNS, _DATE_PUNCT, _DATE_TIME_SUFFIX, _EXCEL_MAX_SERIAL,
    _FORMULA_START, _HALFWIDTH, _INVISIBLE, _INVISIBLE_CHARS, _is_blank, _LANDLINE_RE, _make_date,
    _MOBILE_RE, _month_only, parse_date_cell, parse_decimal_cell, parse_enum_cell, parse_id_cell,
    parse_int_cell, parse_phone_cell, parse_text_cell, _PHONE_SEPARATORS, to_halfwidth, _WS_RE,
)
from .reading import (  # noqa: F401
    _build_rows, _calamine_cell, _CALAMINE_CONVERTED, _check_merges, ERROR_COLUMN_HEADER,
    ERROR_COMMENT_AUTHOR, ERROR_FILL_RGB, ERROR_SHEET_TITLE, excerpt, _grid_from_calamine, _load_openpyxl,
    _norm_header, normalize_header, _open_streaming, _ORIGINAL_COMMENT_MARK, _read_fast, _read_streaming,
    read_xlsx_rows, read_xlsx_sheet, _resolve_sheet_name, SheetRow, SheetRows, _stream_grid,
    _streaming_sheet,
)
from .marking import (  # noqa: F401
    _cell_is_ours, ErrorItem, mark_errors_xlsx, MAX_ERROR_MESSAGE_CHARS, MAX_MARK_CELLS, MAX_MARKED_ERRORS,
    _only_sheet,
)

from . import attachments, cells, errors, marking, reading, safety

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
    "read_xlsx_rows",
    "uploaded_filename",
    "safe_filename",
    "attachment_filename",
    "normalize_header",
    "excerpt",
]

_PARTS = (errors, attachments, safety, cells, reading, marking)
_MISSING = object()


class _Package(types.ModuleType):
    def __setattr__(self, name: str, value) -> None:
        old = self.__dict__.get(name, _MISSING)
        if old is not _MISSING and not isinstance(old, types.ModuleType):
            for part in _PARTS:
                if part.__dict__.get(name, _MISSING) is old:
                    setattr(part, name, value)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
