"""Issue 8 item 2: a redirect target taken from the request stays on this host."""
import pytest

from portal.core.redirects import safe_target
from tests.factories import PASSWORD, UserFactory

HOSTILE = [
    "/\t/evil.example/", "/\r/x", "/\n/x", "/\x00/x", "//evil.example/", "///evil.example",
    "/\\evil.example", "\\\\evil.example", "https://evil.example/", "http:evil.example",
    "javascript:alert(1)", "evil.example", " //evil.example", "/%09/ok\t", "http://[::1",
    "data:text/html,x", "https://localhost.evil.example/",
]


@pytest.mark.parametrize("target", HOSTILE)
def test_hostile_targets_are_refused(app, target):
    with app.test_request_context("/", base_url="http://localhost"):
        assert safe_target(target) is None


@pytest.mark.parametrize("target", ["/acsf/selection/?page=2", "/", "/acsf/public/notices/3#objection",
                                    "/%2F%2Fevil.example"])
def test_paths_on_this_host_are_kept(app, target):
    with app.test_request_context("/", base_url="http://localhost"):
        assert safe_target(target) == target


def test_same_host_absolute_url_becomes_its_path(app):
    with app.test_request_context("/", base_url="http://localhost"):
        assert safe_target("http://localhost/acsf/x?y=1") == "/acsf/x?y=1"


@pytest.mark.parametrize("raw", ["/%09/evil.example/", "/%0d/x", "/%0a/x", "//evil.example", "/%5Cevil.example",
                                 "https://evil.example"])
def test_language_switch_never_leaves_the_site(client, session, raw):
    resp = client.get(f"/lang/en?next={raw}")
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/"


def test_language_switch_keeps_a_local_next(client, session):
    resp = client.get("/lang/en?next=/acsf/public/")
    assert resp.status_code == 302 and resp.headers["Location"] == "/acsf/public/"


@pytest.mark.parametrize("raw", ["/%09/evil.example/", "/%0d/x", "//evil.example"])
def test_login_next_never_leaves_the_site(client, session, raw):
    user = UserFactory()
    session.commit()
    resp = client.post(f"/login?next={raw}", data={"email": user.email, "password": PASSWORD})
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/"


def test_login_next_keeps_a_local_path(client, session):
    user = UserFactory()
    session.commit()
    resp = client.post("/login?next=/account/password", data={"email": user.email, "password": PASSWORD})
    assert resp.status_code == 302 and resp.headers["Location"] == "/account/password"


def test_form_error_goes_back_only_to_a_referer_on_this_host(session, login_as, client):
    from tests.selection import helpers as h

    w = h.world(1)
    login_as(w.admin)
    url = f"/{w.tenant.slug}/selection/cycles"
    bad = {"academic_year": "2026", "opened_on": "not-a-date"}
    resp = client.post(url, data=bad, headers={"Referer": "https://evil.example/phish"})
    assert resp.status_code == 400 and "evil" not in resp.headers.get("Location", "")
    resp = client.post(url, data=bad, headers={"Referer": f"http://localhost/{w.tenant.slug}/selection/"})
    assert resp.status_code == 303 and resp.headers["Location"] == f"/{w.tenant.slug}/selection/"
