"""factory-boy factories in SubFactory chains: Tenant -> School -> Union -> Presidium."""
from __future__ import annotations

import datetime as dt

import factory
from factory.alchemy import SQLAlchemyModelFactory

from portal.auth.models import User
from portal.core.db import tenant_context
from portal.extensions import db
from portal.reference.models import PresidiumMembership, School, StudentUnion, UnionKind
from tenants.models import Membership, Role, Tenant, TenantKind

PASSWORD = "correct horse battery"


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"


class TenantScopedFactory(BaseFactory):
    """Creates a tenant-owned row inside its tenant's context (the write guard and RLS)."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        tenant = kwargs.get("tenant")
        tenant_id = tenant.id if tenant is not None else kwargs.get("tenant_id")
        kwargs.pop("tenant", None)
        kwargs["tenant_id"] = tenant_id
        with tenant_context(tenant_id, db.session):
            return super()._create(model_class, *args, **kwargs)


class NationalTenantFactory(BaseFactory):
    class Meta:
        model = Tenant

    slug = factory.Sequence(lambda n: f"nat{n}")
    name = factory.Sequence(lambda n: f"全国学联{n}")
    short_name = "全国学联"
    kind = TenantKind.national


class TenantFactory(BaseFactory):
    """A provincial federation adopting a national one (A22)."""

    class Meta:
        model = Tenant

    slug = factory.Sequence(lambda n: f"p{n}")
    name = factory.Sequence(lambda n: f"省学联{n}")
    short_name = factory.Sequence(lambda n: f"省学联{n}")
    kind = TenantKind.provincial
    province_code = "44"
    parent = factory.SubFactory(NationalTenantFactory)


class UserFactory(BaseFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.cn")
    name = factory.Sequence(lambda n: f"用户{n}")
    password_hash = factory.LazyFunction(lambda: _hash(PASSWORD))
    password_set_at = factory.LazyFunction(lambda: dt.datetime(2026, 1, 1))


_HASH_CACHE: dict[str, str] = {}


def _hash(password: str) -> str:
    if password not in _HASH_CACHE:
        u = User()
        u.set_password(password)
        _HASH_CACHE[password] = u.password_hash
    return _HASH_CACHE[password]


class SchoolFactory(TenantScopedFactory):
    class Meta:
        model = School

    tenant = factory.SubFactory(TenantFactory)
    code = factory.Sequence(lambda n: f"41{n:08d}")
    name = factory.Sequence(lambda n: f"示例大学{n}")
    province_code = "44"


class UnionFactory(TenantScopedFactory):
    class Meta:
        model = StudentUnion

    school = factory.SubFactory(SchoolFactory)
    tenant = factory.SelfAttribute("school.tenant")
    kind = UnionKind.undergraduate
    name = factory.LazyAttribute(lambda o: f"{o.school.name}{o.kind.value}")


class PresidiumFactory(TenantScopedFactory):
    class Meta:
        model = PresidiumMembership

    union = factory.SubFactory(UnionFactory)
    tenant = factory.SelfAttribute("union.tenant")
    term_label = "第二十七届"
    term_start = dt.date(2023, 8, 21)
    term_end = dt.date(2028, 8, 31)


class MembershipFactory(TenantScopedFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    tenant = factory.SubFactory(TenantFactory)
    role = Role.secretariat_admin


def member(tenant, role=Role.secretariat_admin, **kw) -> User:
    """A new user holding ``role`` in ``tenant``."""
    user = UserFactory()
    MembershipFactory(user=user, tenant=tenant, role=role, **kw)
    return user
