"""Registries name functions by ``"module:function"`` so that core lists what features provide
(home items, record sources, income, admin views, badges) without importing them."""
from __future__ import annotations

from importlib import import_module


def resolve(spec: str):
    """The function ``spec`` names (``"package.module:function"``)."""
    module, _, name = spec.partition(":")
    return getattr(import_module(module), name)
