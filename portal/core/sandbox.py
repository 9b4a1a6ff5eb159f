"""Jinja for text that users write (notification templates): sandboxed *and* bounded.

Jinja's sandbox stops attribute tricks, not work: ``{{ "x" * 10**9 }}``, ``"x"|center(10**9)``
or three nested loops over ``range(100000)`` would hold a web process for minutes or take
gigabytes. :func:`render_bounded` refuses such a template instead:

- the source is at most ``MAX_SOURCE`` characters;
- an operation that would build a string or list past ``MAX_OUTPUT`` characters is refused
  before it runs (``*``, ``%``, ``**`` with a large exponent, padding methods and filters,
  ``replace``, format widths), and ``range`` yields at most ``MAX_RANGE`` items;
- the output is produced piece by piece and stops at ``MAX_OUTPUT`` characters;
- the render stops after ``TIME_LIMIT`` seconds (a per-thread trace on the template's own
  frames, so loops that print nothing are stopped too).

Every refusal is a :class:`RenderLimit` (a ``SecurityError``) with a Chinese message.
"""
from __future__ import annotations

import re
import sys
import time

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

MAX_SOURCE = 20_000
MAX_OUTPUT = 100_000
MAX_RANGE = 10_000
TIME_LIMIT = 1.0
_MAX_POW_BITS = 4_096

_WIDTH = re.compile(r"(\d{4,})|\*")          # a %-format width of 1000+ or a * width
_FORMAT_WIDTH = re.compile(r"\{[^{}]*:[^{}]*?(\d{4,})[^{}]*\}")
_PADDING_METHODS = {"ljust", "rjust", "center", "zfill", "expandtabs"}


class RenderLimit(SecurityError):
    pass


def _too_big(what: str):
    raise RenderLimit(f"{what}超出模板允许的范围（输出不超过 {MAX_OUTPUT} 字）")


def _check_len(n: int, what: str) -> None:
    if n > MAX_OUTPUT:
        _too_big(what)


def _sized(x) -> int | None:
    return len(x) if isinstance(x, (str, list, tuple, bytes)) else None


def _check_percent(fmt: str) -> None:
    for spec in re.findall(r"%[-+ #0]*(\d+|\*)?", fmt):
        if spec and _WIDTH.fullmatch(spec):
            _too_big("格式宽度")


def _bounded_range(*args):
    r = range(*args)
    if len(r) > MAX_RANGE:
        raise RenderLimit(f"range 最多 {MAX_RANGE} 项")
    return r


class BoundedSandbox(SandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "%"})

    def __init__(self, **kw):
        super().__init__(**kw)
        self.globals["range"] = _bounded_range
        for name in ("center", "indent"):
            self.filters[name] = self._bounded_width_filter(self.filters[name])
        self.filters["format"] = self._bounded_format_filter(self.filters["format"])
        self.filters["replace"] = self._bounded_replace_filter(self.filters["replace"])

    # --- operators -------------------------------------------------------------------------
    def call_binop(self, context, operator, left, right):
        if operator == "*":
            for seq, n in ((left, right), (right, left)):
                size = _sized(seq)
                if size is not None and isinstance(n, int):
                    _check_len(size * max(n, 0), "重复")
        elif operator == "**":
            if isinstance(left, int) and isinstance(right, int) and right > 0:
                if max(abs(left), 2).bit_length() * right > _MAX_POW_BITS:
                    raise RenderLimit("乘方结果过大")
        elif operator == "%" and isinstance(left, str):
            _check_percent(left)
        return super().call_binop(context, operator, left, right)

    # --- calls ----------------------------------------------------------------------------
    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 - Jinja's signature
        owner = getattr(__obj, "__self__", None)
        name = getattr(__obj, "__name__", "")
        if isinstance(owner, str):
            ints = [a for a in (*args, *kwargs.values()) if isinstance(a, int)]
            if name in _PADDING_METHODS and any(i > MAX_OUTPUT for i in ints):
                _too_big("填充宽度")
            if name in _PADDING_METHODS and name == "expandtabs" and ints:
                _check_len(owner.count("\t") * ints[0] + len(owner), "制表符展开")
            if name == "replace" and len(args) >= 2 and isinstance(args[1], str):
                _check_len(len(owner) + owner.count(str(args[0]) or "x") * len(args[1]) + len(args[1]), "替换结果")
            if name in ("format", "format_map") and _FORMAT_WIDTH.search(owner):
                _too_big("格式宽度")
        return super().call(__context, __obj, *args, **kwargs)

    # --- filters ----------------------------------------------------------------------------
    @staticmethod
    def _bounded_width_filter(f):
        def bounded(value, width=80, *args, **kw):
            if isinstance(width, int) and width > MAX_OUTPUT:
                _too_big("宽度")
            if isinstance(width, str):
                _check_len(len(width) * (str(value).count("\n") + 1), "缩进")
            return f(value, width, *args, **kw)
        return bounded

    @staticmethod
    def _bounded_format_filter(f):
        def bounded(value, *args, **kw):
            if isinstance(value, str):
                _check_percent(value)
            return f(value, *args, **kw)
        return bounded

    @staticmethod
    def _bounded_replace_filter(f):
        def bounded(eval_ctx, s, old, new, count=None):
            text = str(s)
            _check_len(len(text) + (text.count(str(old)) if old else len(text) + 1) * len(str(new)), "替换结果")
            return f(eval_ctx, s, old, new, count)
        bounded.jinja_pass_arg = getattr(f, "jinja_pass_arg", None)
        return bounded


class _Deadline:
    """Stops the template's own frames (file ``<template>``) once ``seconds`` have passed."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.until = time.monotonic() + seconds
        self.previous = None

    def _local(self, frame, event, arg):
        if time.monotonic() > self.until:
            raise RenderLimit(f"渲染超过 {self.seconds:g} 秒，已停止")
        return self._local

    def _global(self, frame, event, arg):
        if frame.f_code.co_filename == "<template>":
            return self._local
        return None

    def __enter__(self):
        self.previous = sys.gettrace()
        sys.settrace(self._global)
        return self

    def __exit__(self, *exc):
        sys.settrace(self.previous)
        return False


def check_source(source: str) -> None:
    if len(source) > MAX_SOURCE:
        raise RenderLimit(f"模板过长：{len(source)} 字，最多 {MAX_SOURCE} 字")


def render_bounded(template: jinja2.Template, context: dict) -> str:
    """``template`` rendered with ``context`` within the limits above."""
    out, size = [], 0
    with _Deadline(TIME_LIMIT):
        for piece in template.generate(**context):
            size += len(piece)
            if size > MAX_OUTPUT:
                _too_big("渲染结果")
            out.append(piece)
    return "".join(out)


def time_limit(seconds: float = TIME_LIMIT) -> _Deadline:
    """A ``with`` block in which the templates' own frames stop after ``seconds`` (for renders
    that drive Jinja themselves, such as docxtpl's)."""
    return _Deadline(seconds)
