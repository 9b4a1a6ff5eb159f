import pytest


@pytest.fixture(autouse=True)
def _fresh_national_rates(request):
    """The national rate table is platform data (no tenant): start each test without rows a
    request of an earlier test may have committed."""
    if "session" not in request.fixturenames:
        yield
        return
    import sqlalchemy as sa

    from portal.extensions import db
    from portal.incentives.models import NationalAllowanceRate

    session = request.getfixturevalue("session")
    session.execute(sa.delete(NationalAllowanceRate))
    yield
