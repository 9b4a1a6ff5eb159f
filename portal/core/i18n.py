"""Chinese (zh_Hans_CN) first, English on request."""
from __future__ import annotations

import re

from flask import request, session
from flask_babel import get_locale, refresh

from portal.extensions import babel


def select_locale():
    lang = request.args.get("lang")
    if lang in ("zh_Hans_CN", "en"):
        session["lang"] = lang
    return session.get("lang", "zh_Hans_CN")


def init_app(app):
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=str(app.root_path + "/translations"))

    @app.before_request
    def _remember_language():
        # Each request picks its own language: a locale cached on an application context that
        # outlives one request (a test's, a CLI's) is dropped first.
        refresh()
        # The choice in ?lang= sticks even when the page only redirects (a role's home does),
        # where nothing renders and the locale would never be asked for.
        if request.args.get("lang") in ("zh_Hans_CN", "en"):
            session["lang"] = request.args["lang"]

    @app.context_processor
    def _locale():
        loc = get_locale()
        return {"current_locale": str(loc) if loc else "zh_Hans_CN",
                "html_lang": "en" if loc and loc.language == "en" else "zh-CN", **_bound_gettext()}


# --- messages built in Python: a refusal, a flash, a deadline's summary ------------------------
# Operations word their refusals in Chinese, often with values in them (f"「{label}」须上传{evidence}").
# On an English page such a message is looked up whole in the catalog first; failing that, it is
# read against the catalog's own parameterized msgids ("「%(label)s」须上传%(evidence)s"): the first
# whose fixed words match it whole gives the English, each value itself looked up in turn (a label
# becomes English, a name stays as it is). Operations keep their Chinese; the English lives in the
# catalog beside every other string.

_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _patterns(translations) -> list[tuple[re.Pattern, str]]:
    cached = _PATTERN_CACHE.get(id(translations))
    if cached is not None and cached[0] is translations:
        return cached[1]
    out = []
    for msgid, msgstr in getattr(translations, "_catalog", {}).items():
        if not isinstance(msgid, str) or "%(" not in msgid or not msgstr or msgstr == msgid:
            continue
        names = _PLACEHOLDER.findall(msgid)
        fixed = _PLACEHOLDER.sub("", msgid).replace("%%", "%")
        if not names or len(set(names)) != len(names) or not fixed.strip():
            continue
        parts, pos = [], 0
        for m in _PLACEHOLDER.finditer(msgid):
            parts.append(re.escape(msgid[pos:m.start()].replace("%%", "%")))
            parts.append(f"(?P<{m.group(1)}>.+)")
            pos = m.end()
        parts.append(re.escape(msgid[pos:].replace("%%", "%")))
        # the more fixed words a msgid has, the surer its match: those are tried first
        out.append((len(fixed), re.compile("".join(parts), re.S), msgid))
    out.sort(key=lambda t: -t[0])
    patterns = [(rx, msgid) for _n, rx, msgid in out]
    _PATTERN_CACHE[id(translations)] = (translations, patterns)
    return patterns


_PATTERN_CACHE: dict[int, tuple[object, list]] = {}


def translate_message(text, _depth: int = 0):
    """A message made in Chinese, in the request's language (unchanged in Chinese, and where the
    catalog does not know it)."""
    from flask import has_request_context
    from flask_babel import get_translations

    if not text or not isinstance(text, str) or hasattr(text, "__html__") or not has_request_context():
        return text
    loc = get_locale()
    if not (loc and loc.language == "en"):
        return text
    translations = get_translations()
    exact = translations.ugettext(text)
    if exact != text or _depth > 5:
        return exact
    known = _known_form(text)
    if known is not None:
        return known
    # Several msgids may match ("%(month)s未足额" and "%(a)s；%(b)s" both read "7月逾期；8月未足额"):
    # the reading that leaves the least Chinese wins, the one with more fixed words on a tie.
    best, best_han = text, _han_count(text)
    tried = 0
    for rx, msgid in _patterns(translations):
        m = rx.fullmatch(text)
        if not m:
            continue
        values = {k: translate_message(v, _depth + 1) for k, v in m.groupdict().items()}
        try:
            candidate = translations.ugettext(msgid) % values
        except (KeyError, TypeError, ValueError):
            continue
        han = _han_count(candidate)
        if han < best_han:
            best, best_han = candidate, han
        tried += 1
        if not han or tried >= 4:
            break
    return best


_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def _han_count(text: str) -> int:
    return len(_HAN.findall(text))


_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_DATE = re.compile(r"(\d{4})年(\d{1,2})月(?:(\d{1,2})日)?")
_CN_ARTICLE = re.compile(r"第([一二三四五六七八九十]+)条(?:第（([一二三四五六七八九十]+)）项)?")


def _cn_number(text: str) -> int:
    """一 .. 九十九 (the measures' article and item numbers)."""
    if "十" not in text:
        return _CN_DIGITS[text]
    tens, _, ones = text.partition("十")
    return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)


def _known_form(text: str) -> str | None:
    """A value Python wrote in a Chinese form of its own: a date (2026年7月, 2026年7月23日) or an
    article's citation (第五条第（二）项), in its English form."""
    from portal.core.templating import localdate

    m = _CN_DATE.fullmatch(text)
    if m:
        import datetime as dt

        year, month, day = int(m.group(1)), int(m.group(2)), m.group(3)
        if not 1 <= month <= 12:
            return None
        if day:
            try:
                return localdate(dt.date(year, month, int(day)))
            except ValueError:
                return None
        return localdate(dt.date(year, month, 1)).split(" ", 1)[1]  # "July 2026"
    m = _CN_ARTICLE.fullmatch(text)
    if m:
        return f"Art. {_cn_number(m.group(1))}" + (f"({_cn_number(m.group(2))})" if m.group(2) else "")
    return None


def _bound_gettext() -> dict:
    """``_()``/``gettext``/``ngettext`` for one render, bound to this request's catalog: the same
    newstyle functions flask-babel installs, without looking the catalog up again on each of a
    page's hundreds of calls (issue 10 item 4). Jinja resolves ``gettext`` from the context first."""
    from flask_babel import get_translations
    from jinja2.ext import _make_new_gettext, _make_new_ngettext

    t = get_translations()
    return {"gettext": _make_new_gettext(t.ugettext), "ngettext": _make_new_ngettext(t.ungettext)}
