"""Hostile workbooks for the upload limits (issue 8, item 1): built by hand, byte by byte, the way an
attacker would, so that no library normalises them on the way."""
from __future__ import annotations

import io
import os
import random
import string
import zipfile

from openpyxl.utils import get_column_letter

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RNS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

_CT = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
       '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
       '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
       '<Default Extension="xml" ContentType="application/xml"/>'
       '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
       '{sheets}'
       '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
       '</Types>')
_SHEET_CT = ('<Override PartName="/xl/worksheets/sheet{i}.xml" '
             'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
         '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
         '</Relationships>')


def random_text(n: int, seed: int = 8) -> str:
    """Text that does not compress (a run of one letter would be refused as a zip bomb)."""
    rnd = random.Random(seed)
    return "".join(rnd.choices(string.ascii_letters + string.digits, k=n))


def _esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def workbook(sheets: list[tuple[str, str]], strings: list[str]) -> bytes:
    """``sheets``: (name, the <sheetData> inner XML and anything after it); ``strings``: the table."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CT.format(sheets="".join(_SHEET_CT.format(i=i + 1) for i in range(len(sheets)))))
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{NS}" xmlns:r="{RNS}"><sheets>'
                   + "".join(f'<sheet name="{_esc(n)}" sheetId="{i + 1}" r:id="rId{i + 1}"/>' for i, (n, _) in enumerate(sheets))
                   + "</sheets></workbook>")
        rels = "".join(f'<Relationship Id="rId{i + 1}" Type="{RNS}/worksheet" Target="worksheets/sheet{i + 1}.xml"/>'
                       for i in range(len(sheets)))
        rels += f'<Relationship Id="rId{len(sheets) + 1}" Type="{RNS}/sharedStrings" Target="sharedStrings.xml"/>'
        z.writestr("xl/_rels/workbook.xml.rels",
                   f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>')
        for i, (_n, body) in enumerate(sheets):
            z.writestr(f"xl/worksheets/sheet{i + 1}.xml", f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{NS}">{body}</worksheet>')
        z.writestr("xl/sharedStrings.xml", f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{NS}" count="{len(strings)}" uniqueCount="{len(strings)}">'
                   + "".join(f"<si><t>{_esc(s)}</t></si>" for s in strings) + "</sst>")
    return out.getvalue()


def header_row(headers: list[str], row: int = 1) -> str:
    return f'<row r="{row}">' + "".join(
        f'<c r="{get_column_letter(c)}{row}" t="inlineStr"><is><t>{_esc(h)}</t></is></c>' for c, h in enumerate(headers, 1)) + "</row>"


def shared_string_bomb(sheet: str, headers: list[str], rows: int = 200, size: int = 1024 * 1024) -> bytes:
    """One ``size``-character shared string, referenced by every data cell (the 756 KB file of issue 8)."""
    body = "<sheetData>" + header_row(headers)
    for r in range(2, rows + 2):
        body += f'<row r="{r}">' + "".join(f'<c r="{get_column_letter(c)}{r}" t="s"><v>0</v></c>'
                                           for c in range(1, len(headers) + 1)) + "</row>"
    return workbook([(sheet, body + "</sheetData>")], [random_text(size)])


def claimed_dimension(rows: list[list], ref: str = "A1:XFD1048576", sheet: str = "Sheet1") -> bytes:
    """A tiny sheet whose <dimension> claims ``ref`` (read-only readers pad every row to it)."""
    body = f'<dimension ref="{ref}"/><sheetData>'
    for r, values in enumerate(rows, 1):
        body += f'<row r="{r}">' + "".join(
            f'<c r="{get_column_letter(c)}{r}" t="inlineStr"><is><t>{_esc(str(v))}</t></is></c>'
            for c, v in enumerate(values, 1)) + "</row>"
    return workbook([(sheet, body + "</sheetData>")], [])


def big_sheet_xml(megabytes: int, seed: int = 3) -> str:
    """About ``megabytes`` MB of random numbers (compresses about 3:1, far below the zip-bomb ratio)."""
    rnd = random.Random(seed)
    parts, size, r = ["<sheetData>"], 0, 1
    while size < megabytes * 1024 * 1024:
        row = f'<row r="{r}">' + "".join(f'<c r="{get_column_letter(c)}{r}"><v>{rnd.random()}</v></c>' for c in range(1, 21)) + "</row>"
        parts.append(row)
        size += len(row)
        r += 1
    parts.append("</sheetData>")
    return "".join(parts)


def rss_probe(code: str, *, timeout: int = 120, files: dict[str, bytes] | None = None) -> dict:
    """Run ``code`` in a fresh interpreter; it sets ``result``. Returns {"result", "rss_before_mb",
    "rss_peak_mb"} — the process's peak resident size before and after the code ran (covers memory
    that native readers allocate, which tracemalloc cannot see). ``files`` are written to a temporary
    directory and read into ``FILES[name]`` before the baseline (a big file is built here, not there)."""
    import json
    import subprocess
    import sys
    import textwrap

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    prog = textwrap.dedent('''
        import json, os, resource, sys
        # a regression must fail this test, not take the machine's memory with it
        resource.setrlimit(resource.RLIMIT_AS, (AS_LIMIT, AS_LIMIT))
        import openpyxl, python_calamine  # noqa: F401  (imported before the baseline)
        import portal.core.uploads  # noqa: F401
        import tests.hostile_files as H  # noqa: F401
        FILES = {n: open(os.path.join(FILES_DIR, n), "rb").read() for n in os.listdir(FILES_DIR)} if FILES_DIR else {}
        SETUP
        def rss():  # this process's peak resident size (VmHWM; ru_maxrss would include the parent's)
            with open("/proc/self/status") as fh:
                return next(int(l.split()[1]) for l in fh if l.startswith("VmHWM")) / 1024
        before = rss()
        result = None
        CODE
        print(json.dumps({"result": result, "rss_before_mb": before, "rss_peak_mb": rss()}, default=str))
    ''')
    setup, _, body = code.partition("# --- measured ---")
    if not body:
        setup, body = "", code
    prog = prog.replace("AS_LIMIT", str(3 * 1024 ** 3))
    prog = prog.replace("SETUP", textwrap.indent(textwrap.dedent(setup), "").strip() or "pass")
    prog = prog.replace("CODE", textwrap.dedent(body).strip())
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for name, body in (files or {}).items():
            with open(os.path.join(tmp, name), "wb") as fh:
                fh.write(body)
        prog = prog.replace("FILES_DIR", repr(tmp) if files else "None")
        proc = subprocess.run([sys.executable, "-c", prog], capture_output=True, text=True, timeout=timeout, env=env,
                              cwd=root)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])
