"""Find the Chinese messages operations raise or flash (DomainError and its kin, Conflict,
FieldError, ValidationError, Refusal(code, message), flash, abort, error_response) and say which
have no English in the catalog.

A literal is its own msgid; an f-string becomes the parameterized form that
``portal.core.i18n.translate_message`` reads it back with (f"「{label}」须上传{evidence}" →
"「%(label)s」须上传%(evidence)s"). Run it to list what is missing:
``.venv/bin/python -m tests.refusal_messages``."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("portal", "tenants")
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")

# exception classes whose first argument (or message=) is a message shown to people
ERRORS = {"DomainError", "Conflict", "FieldError", "ValidationError", "WrongRole", "JobError",
          "HolidayImportError", "InvalidFields", "NotificationError", "MemberError", "TooLong",
          "TemplateProblem", "DocumentError"}
FIRST_ARG = ERRORS | {"flash"}
SECOND_ARG = {"Refusal", "abort", "error_response"}  # (code/status, message)
GETTEXT = {"_", "gettext", "lazy_gettext", "_l"}


def _callee(node: ast.Call) -> str | None:
    f = node.func
    if isinstance(f, ast.Name):
        return f.id
    if isinstance(f, ast.Attribute):
        return f.attr
    return None


def _name_of(expr: ast.AST) -> str:
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        return expr.attr
    if isinstance(expr, ast.Call):
        return _name_of(expr.func)
    if isinstance(expr, ast.Subscript):
        if isinstance(expr.slice, ast.Constant) and isinstance(expr.slice.value, str) \
                and expr.slice.value.isidentifier():
            return expr.slice.value
        return _name_of(expr.value)
    return "value"


def _msgids_of_fstring(node: ast.JoinedStr) -> list[str]:
    """An f-string's msgid(s): each value a placeholder named after it, except a choice between two
    literals (f"已{'启用' if on else '停用'}…"), which gives one msgid per literal."""
    outs, used = [""], {}
    for part in node.values:
        if isinstance(part, ast.Constant):
            outs = [o + str(part.value).replace("%", "%%") for o in outs]
            continue
        choice = part.value
        if isinstance(choice, ast.IfExp) and part.format_spec is None and all(
                isinstance(side, ast.Constant) and isinstance(side.value, str) for side in (choice.body, choice.orelse)):
            outs = [o + side.value.replace("%", "%%") for o in outs for side in (choice.body, choice.orelse)]
            continue
        name = re.sub(r"\W", "_", _name_of(part.value)).strip("_") or "value"
        if name[0].isdigit():
            name = "v" + name
        used[name] = used.get(name, 0) + 1
        if used[name] > 1:
            name = f"{name}{used[name]}"
        outs = [o + f"%({name})s" for o in outs]
    return outs


def messages_of(expr: ast.AST) -> list[str]:
    """The msgid(s) an expression given as a message can be: literals, f-strings, either side of
    ``a if c else b``, ``"…" + "…"``, and the literal inside ``_("…")``."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return [expr.value]
    if isinstance(expr, ast.JoinedStr):
        return _msgids_of_fstring(expr)
    if isinstance(expr, ast.IfExp):
        return messages_of(expr.body) + messages_of(expr.orelse)
    if isinstance(expr, ast.BoolOp):
        return [m for v in expr.values for m in messages_of(v)]
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
        left, right = messages_of(expr.left), messages_of(expr.right)
        if len(left) == 1 and len(right) == 1:
            return [left[0] + right[0]]
    if isinstance(expr, ast.Call) and _callee(expr) in GETTEXT and expr.args:
        return messages_of(expr.args[0])
    return []


def _message_arg(node: ast.Call) -> ast.AST | None:
    name = _callee(node)
    for kw in node.keywords:
        if kw.arg in ("message", "description"):
            return kw.value
    if name in FIRST_ARG and node.args:
        return node.args[0]
    if name in SECOND_ARG and len(node.args) >= 2:
        return node.args[1]
    return None


def find(root: Path = ROOT) -> dict[str, list[str]]:
    """{msgid: ["path:line", …]} for every Chinese message found in the sources."""
    found: dict[str, list[str]] = {}
    for top in SOURCES:
        for path in sorted((root / top).rglob("*.py")):
            if "translations" in path.parts or "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call) or _callee(node) not in FIRST_ARG | SECOND_ARG:
                    continue
                arg = _message_arg(node)
                if arg is None:
                    continue
                for msgid in messages_of(arg):
                    if HAN.search(msgid):
                        found.setdefault(msgid, []).append(f"{path.relative_to(root)}:{node.lineno}")
    return found


def catalog_english(po_path: Path | None = None) -> dict[str, str]:
    from babel.messages.pofile import read_po

    po_path = po_path or ROOT / "portal" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale="en")
    # English: a msgstr of its own, with Chinese left only where the reader must type it ("是"/"否")
    return {m.id: m.string for m in catalog
            if m.id and isinstance(m.id, str) and not m.context and m.string and m.string.strip()
            and m.string != m.id and 4 * len(HAN.findall(m.string)) <= len(HAN.findall(m.id))}


def _pattern(msgid: str) -> re.Pattern:
    parts, pos = [], 0
    for m in PLACEHOLDER.finditer(msgid):
        parts.append(re.escape(msgid[pos:m.start()].replace("%%", "%")))
        parts.append("(.+)")
        pos = m.end()
    parts.append(re.escape(msgid[pos:].replace("%%", "%")))
    return re.compile("".join(parts), re.S)


def _sample(msgid: str) -> str:
    """The msgid with each placeholder replaced by a value no catalog knows (a name, a number)."""
    return PLACEHOLDER.sub("Ｘ", msgid).replace("%%", "%")


def has_english(msgid: str, english: dict[str, str], patterns: list[tuple[re.Pattern, str]], _depth: int = 0) -> bool:
    """Read back as translate_message reads it: whole in the catalog, a date or citation, or
    matched whole by a parameterized msgid whose every value has English in turn (a placeholder of
    our own stands for a value no catalog knows: a name, a number)."""
    text = _sample(msgid) if "%(" in msgid else msgid
    return _readable(text, english, patterns, _depth)


def _readable(text: str, english, patterns, depth: int) -> bool:
    from portal.core.i18n import _CN_ARTICLE, _CN_DATE

    if not HAN.search(text) or text in english:
        return True
    if _CN_DATE.fullmatch(text) or _CN_ARTICLE.fullmatch(text):
        return True
    if depth > 5:
        return False
    for rx, _msgid in patterns:
        m = rx.fullmatch(text)
        if m and all(_readable(v, english, patterns, depth + 1) for v in m.groups()):
            return True
    return False


def missing(found: dict[str, list[str]] | None = None, english: dict[str, str] | None = None) -> dict[str, list[str]]:
    found = find() if found is None else found
    english = catalog_english() if english is None else english
    patterns = [(_pattern(k), k) for k in english
                if "%(" in k and PLACEHOLDER.sub("", k).replace("%%", "%").strip()]
    return {k: v for k, v in found.items() if not has_english(k, english, patterns)}


if __name__ == "__main__":
    import sys

    found = find()
    gaps = missing(found)
    for msgid, where in sorted(gaps.items(), key=lambda kv: kv[1][0]):
        print(f"{where[0]}\t{msgid!r}")
    print(f"{len(found)} messages, {len(gaps)} without English", file=sys.stderr)
