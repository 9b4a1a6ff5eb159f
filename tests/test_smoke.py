from tests.factories import SchoolFactory, TenantFactory, member


def test_login_and_dashboard_A22(client, login_as):
    tenant = TenantFactory()
    SchoolFactory(tenant=tenant)
    admin = member(tenant)
    login_as(admin)
    resp = client.get(f"/{tenant.slug}/")
    assert resp.status_code == 200
    assert tenant.name in resp.get_data(as_text=True)
