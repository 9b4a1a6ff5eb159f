"""URL converters: an id in a URL is a 32-bit integer, as its column is.

Werkzeug's ``<int:...>`` matches any run of digits; ``/nominations/99999999999999999999`` then
reached the database (SQLite: OverflowError, a 500). Bounded here, it does not match: a 404.
"""
from __future__ import annotations

from werkzeug.routing import IntegerConverter

INT32_MAX = 2**31 - 1


class BoundedIntConverter(IntegerConverter):
    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):  # noqa: A002 - Werkzeug's names
        super().__init__(map, fixed_digits=fixed_digits, min=-INT32_MAX if min is None and signed else min,
                         max=INT32_MAX if max is None else max, signed=signed)


def init_app(app):
    app.url_map.converters["int"] = BoundedIntConverter
