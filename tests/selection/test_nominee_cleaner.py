"""A6.2: one NomineeCleaner validates a whole sheet; a value a column has seen is not parsed
again, and that reuse never changes a row's result."""
from __future__ import annotations

from portal.core.db import tenant_context
from portal.extensions import db
from portal.selection import operations as ops
from tests.selection.helpers import invite, nominee, open_cycle, world


def _setup():
    w = world(1)
    open_cycle(w)
    inv = invite(w, w.schools[0])
    return w, inv


def test_A6_2_cleaner_repeats_a_value_error_on_every_row_that_has_it(session):
    w, inv = _setup()
    with tenant_context(w.tenant.id, db.session):
        cleaner, unions = ops.NomineeCleaner(w.cycle), ops.school_unions(inv.school_id)
        first = cleaner.clean(nominee(1, gender="男性"), unions)[1]
        second = cleaner.clean(nominee(2, gender="男性"), unions)[1]
        good = cleaner.clean(nominee(3, gender="男"), unions)
    assert first == second and "gender" in first and "可选" in first["gender"]
    assert good[1] == {} and good[0]["gender"] == "男"


def test_A6_2_cleaner_tells_equal_values_of_different_types_apart(session):
    """1, 1.0 and True are equal dict keys; a rank of True must still be refused after a rank of 1."""
    w, inv = _setup()
    with tenant_context(w.tenant.id, db.session):
        cleaner, unions = ops.NomineeCleaner(w.cycle), ops.school_unions(inv.school_id)
        ok = cleaner.clean(nominee(1, grade_rank=1), unions)
        as_float = cleaner.clean(nominee(2, grade_rank=1.0), unions)
        as_bool = cleaner.clean(nominee(3, grade_rank=True), unions)
        unhashable = cleaner.clean(nominee(4, major=["法学"]), unions)
    assert ok[1] == {} and ok[0]["grade_rank"] == 1
    assert as_float[1] == {} and as_float[0]["grade_rank"] == 1
    assert "grade_rank" in as_bool[1]
    assert "major" in unhashable[1]  # a list from a JSON body: refused, not a crash


def test_A6_2_cleaner_matches_one_row_validation(session):
    """The sheet's cleaner and the form's clean_nomination give the same values and errors."""
    w, inv = _setup()
    rows = [nominee(1), nominee(2, publicity_end=nominee(2)["publicity_start"]), nominee(3, id_number="123")]
    with tenant_context(w.tenant.id, db.session):
        cleaner, unions = ops.NomineeCleaner(w.cycle), ops.school_unions(inv.school_id)
        together = [cleaner.clean(r, unions) for r in rows]
        alone = [ops.clean_nomination(inv, r) for r in rows]
    assert together == alone
    assert together[0][1] == {} and "publicity_end" in together[1][1] and "id_number" in together[2][1]
