from __future__ import annotations

import datetime as dt
import decimal

import sqlalchemy as sa
from flask import abort, flash, g, redirect, request, url_for
from flask_admin import Admin, AdminIndexView, expose
from flask_admin.actions import action
from flask_admin.babel import lazy_gettext
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_admin.form import BaseForm
from flask_admin.theme import Bootstrap4Theme
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm

from portal.core import audit
from portal.documents.render import formula_safe
from portal.extensions import db
from tenants.context import has_role
from tenants.models import Membership, Role, ROLE_LABELS


class TenantAccessMixin:
    """Only the current tenant's secretariat administrators get in (roles on the server)."""

    def is_accessible(self):
        return bool(current_user.is_authenticated and g.get("tenant") is not None
                    and has_role(Role.secretariat_admin))

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        abort(403, description=_("仅秘书处管理员可访问后台"))


class PortalIndexView(TenantAccessMixin, AdminIndexView):
    @expose("/")
    def index(self):
        return self.render("admin/portal_index.html")


class AdminForm(BaseForm, FlaskForm):
    """Every admin form (edit, create, the list's delete and bulk-action forms) carries
    Flask-WTF's one CSRF token, the one CSRFProtect checks on every POST. flask-admin's
    SecureForm keeps a second, session-based token under the same field name: the edit page
    then rendered both inputs and one of the two checks always failed."""


# Values an export writes as they are; anything else (a linked record, a list) is written as
# its text, and all text goes through the formula-safe escaper.
_EXPORT_SCALARS = (int, float, decimal.Decimal, dt.date, dt.datetime, dt.time, type(None))


def export_cell(value):
    if isinstance(value, bool) or isinstance(value, _EXPORT_SCALARS):
        return value
    return formula_safe(value if isinstance(value, str) else str(value))


def _readable_by(flt):
    validate = flt.validate

    def readable(value) -> bool:
        try:
            flt.clean(value)
        except (LookupError, ValueError, TypeError, ArithmeticError):
            return False
        return validate(value)

    return readable


class TenantModelView(TenantAccessMixin, ModelView):
    """Scoped in get_query, get_count_query and get_one (and by the session safety net)."""

    form_base_class = AdminForm
    can_export = True
    export_types = ["csv", "xlsx"]
    can_view_details = True
    page_size = 50
    audit_fields: list[str] = []
    article: str | None = None
    form_excluded_columns = ["tenant_id", "tenant"]
    column_exclude_list = ["tenant_id"]

    def _scoped(self, query):
        return query.filter(self.model.tenant_id == g.tenant.id)

    def get_query(self):
        return self._scoped(super().get_query())

    def get_count_query(self):
        return self._scoped(super().get_count_query())

    def _primary_key_values(self, ids) -> list:
        """Ids from a URL or form as the primary key's own type (PostgreSQL compares
        ``integer = character varying`` as an error); ids that are not of that type are dropped."""
        column = sa.inspect(self.model).mapper.primary_key[0]
        try:
            python_type = column.type.python_type
        except NotImplementedError:
            return list(ids)
        values = []
        for raw in ids:
            try:
                values.append(raw if isinstance(raw, python_type) else python_type(raw))
            except (TypeError, ValueError):
                continue
        return values

    def get_one(self, id):
        values = self._primary_key_values([id])
        if not values:
            return None
        obj = db.session.get(self.model, values[0])  # TenantSession.get re-checks the tenant
        if obj is None or obj.tenant_id != g.tenant.id:
            return None
        return obj

    @action("delete", lazy_gettext("Delete"), lazy_gettext("Are you sure you want to delete selected records?"))
    def action_delete(self, ids):
        return super().action_delete(self._primary_key_values(ids))

    def get_filters(self):
        """A filter value its filter cannot read (an unknown enum member, a malformed number or
        date) is refused with flask-admin's "invalid filter value" message, never handed to the
        query: flask-admin's own check catches only ValueError (``?flt0_0=1`` was a 500)."""
        filters = super().get_filters()
        for flt in filters or ():
            flt.validate = _readable_by(flt)
        return filters

    def get_export_value(self, model, name):
        return export_cell(super().get_export_value(model, name))

    def _export_tablib(self, export_type, return_url):
        """XLSX exports through the portal's formula-safe writer instead of tablib."""
        if export_type != "xlsx":
            abort(404)
        from flask import Response

        from portal.documents.render import SheetSpec, content_disposition, write_xlsx

        _count, data = self._export_data()
        headers = [str(c[1]) for c in self._export_columns]
        rows = [[super(TenantModelView, self).get_export_value(row, c[0]) for c in self._export_columns]
                for row in data]
        rows = [[v if isinstance(v, (int, float)) or v is None else str(v) for v in r] for r in rows]
        body = write_xlsx([SheetSpec(title=str(self.name), headers=headers, rows=rows)])
        return Response(body, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": content_disposition(f"{self.name}.xlsx")})

    def _snapshot(self, model):
        fields = self.audit_fields or [c.key for c in sa.inspect(self.model).mapper.column_attrs]
        return audit.snapshot(model, fields)

    def on_form_prefill(self, form, id):
        pass

    def update_model(self, form, model):
        self._before = self._snapshot(model)
        return super().update_model(form, model)

    def on_model_change(self, form, model, is_created):
        model.tenant_id = g.tenant.id
        db.session.flush()
        audit.record(f"admin.{self.model.__tablename__}.{'created' if is_created else 'updated'}",
                     self.model.__tablename__, model.id, actor=current_user._get_current_object(),
                     before=None if is_created else getattr(self, "_before", None),
                     after=self._snapshot(model), article=self.article)

    def on_model_delete(self, model):
        audit.record(f"admin.{self.model.__tablename__}.deleted", self.model.__tablename__, model.id,
                     actor=current_user._get_current_object(), before=self._snapshot(model),
                     article=self.article)


class TenantAjaxLoader(QueryAjaxModelLoader):
    """Ajax lookups (select2) over the current tenant's rows only."""

    def get_query(self):
        return super().get_query().filter(self.model.tenant_id == g.tenant.id)

    def get_one(self, pk):
        obj = super().get_one(pk)
        return obj if obj is not None and obj.tenant_id == g.tenant.id else None


def _tenant_query(model):
    return lambda: db.session.query(model).filter(model.tenant_id == g.tenant.id)


class SchoolView(TenantModelView):
    column_list = ["code", "name", "province", "active"]
    column_labels = {"code": _l("学校标识码"), "name": _l("学校名称"), "province": _l("省份"), "active": _l("启用"),
                     "unions": _l("学生组织"), "created_at": _l("创建时间")}
    column_searchable_list = ["name", "code"]
    column_filters = ["province_code", "active"]
    form_columns = ["code", "name", "province", "active"]
    article = "A2"


class UnionView(TenantModelView):
    column_list = ["school", "kind", "name"]
    column_labels = {"school": _l("学校"), "kind": _l("类型"), "name": _l("名称"), "memberships": _l("主席团任期")}
    column_searchable_list = ["name"]
    form_columns = ["school", "kind", "name"]
    article = "A2"

    def scaffold_form(self):
        form = super().scaffold_form()
        return form

    def create_form(self, obj=None):
        form = super().create_form(obj)
        from portal.reference.models import School

        form.school.query_factory = _tenant_query(School)
        return form

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        from portal.reference.models import School

        form.school.query_factory = _tenant_query(School)
        return form


class PresidiumView(TenantModelView):
    column_list = ["union", "term_label", "term_start", "term_end", "note"]
    column_labels = {"union": _l("学生组织"), "term_label": _l("届次"), "term_start": _l("任期开始"),
                     "term_end": _l("任期结束"), "note": _l("备注")}
    form_columns = ["union", "term_label", "term_start", "term_end", "note"]
    article = "A2"

    def __init__(self, model, session, **kw):
        from portal.reference.models import StudentUnion

        # the union is picked by an ajax lookup (thousands of unions nationally)
        self.form_ajax_refs = {"union": TenantAjaxLoader("union", session, StudentUnion,
                                                         fields=["name"], page_size=20)}
        super().__init__(model, session, **kw)


class MembershipView(TenantModelView):
    can_create = False  # accounts join through an invitation, never by picking a global user
    column_list = ["user", "role", "school", "province_code", "active"]
    column_labels = {"user": _l("用户"), "role": _l("角色"), "school": _l("学校"), "province_code": _l("省份代码"),
                     "active": _l("有效")}
    form_columns = ["role", "school", "province_code", "active"]
    column_formatters = {"role": lambda v, c, m, p: _(ROLE_LABELS[m.role]) if m.role in ROLE_LABELS else m.role,
                         "user": lambda v, c, m, p: f"{m.user.name} <{m.user.email}>"}
    column_searchable_list = []

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        from portal.reference.models import School

        form.school.query_factory = _tenant_query(School)
        return form


class AuditView(TenantModelView):
    can_create = can_edit = can_delete = False
    column_default_sort = ("seq", True)
    column_list = ["seq", "at", "actor_label", "action", "object_type", "object_id", "article"]
    column_labels = {"seq": _l("序号"), "at": _l("时间(UTC)"), "actor_label": _l("操作人"), "action": _l("操作"),
                     "object_type": _l("对象"), "object_id": _l("对象ID"), "article": _l("依据条款")}
    column_filters = ["action", "object_type", "article"]


class RuleOverrideView(TenantModelView):
    can_create = can_edit = can_delete = False  # changed on the rules page, with validation
    column_list = ["key", "value", "reason", "updated_at"]
    column_labels = {"key": _l("规则"), "value": _l("本地值"), "reason": _l("理由"), "updated_at": _l("更新时间")}


def build_admin(app):
    from portal.core.audit import AuditRecord
    from portal.reference.models import PresidiumMembership, School, StudentUnion
    from tenants.rules.models import RuleOverride

    admin = Admin(
        app,
        name=_l("后台管理"),
        url="/<tenant>/admin",
        endpoint="admin",
        index_view=PortalIndexView(name=_l("首页"), url="/<tenant>/admin", endpoint="admin"),
        theme=Bootstrap4Theme(swatch="default", base_template="admin/portal_base.html"),
    )
    s = db
    admin.add_view(SchoolView(School, s, name=_l("学校"), endpoint="admin_schools", category=_l("基础数据")))
    admin.add_view(UnionView(StudentUnion, s, name=_l("学生组织"), endpoint="admin_unions", category=_l("基础数据")))
    admin.add_view(PresidiumView(PresidiumMembership, s, name=_l("主席团成员团体"), endpoint="admin_presidium",
                                 category=_l("基础数据")))
    admin.add_view(MembershipView(Membership, s, name=_l("成员与角色"), endpoint="admin_memberships"))
    admin.add_view(RuleOverrideView(RuleOverride, s, name=_l("本地规则"), endpoint="admin_rules"))
    admin.add_view(AuditView(AuditRecord, s, name=_l("审计记录"), endpoint="admin_audit"))
    # Each feature's own views (registered from its init_app, before this module's).
    from portal.core.registries import resolve

    for spec in app.extensions.get("portal_admin_views", []):
        resolve(spec)(admin)
    app.extensions["portal_admin"] = admin
    return admin
