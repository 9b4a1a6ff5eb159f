"""本会设置: the secretariat's contact person, phone, email and address (issue 9 item 9).

Letters carry them under the signature and the 公示 tells objectors where to write; a field
left empty is left out of the documents (never made up)."""
from __future__ import annotations

from flask import Blueprint, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from portal.api.common import api_blueprint
from portal.api.schemas import Body, Out, operation, text
from portal.core.errors import DomainError
from portal.core.permissions import ROLE_ADMIN, require_roles
from tenants.models import Tenant
from tenants.operations import CONTACT_FIELDS, update_contact_settings

bp = Blueprint("settings", __name__, url_prefix="/<tenant>/settings", template_folder="templates")
api_bp = api_blueprint("settings_api", __name__, "/api/v1/<tenant>/settings")


def _values(tenant) -> dict:
    return {k: getattr(tenant, k) or "" for k in CONTACT_FIELDS}


@bp.route("/", methods=["GET", "POST"])
@require_roles(*ROLE_ADMIN)
def index():
    form, errors, status = _values(g.tenant), {}, 200
    if request.method == "POST":
        form = {k: request.form.get(k, "") for k in CONTACT_FIELDS}
        try:
            update_contact_settings(g.tenant, form, actor=current_user._get_current_object())
        except DomainError as exc:
            g._no_commit = True
            errors, status = exc.details or {}, 422
            flash(exc.message, "error")
        else:
            flash(gettext("本会设置已保存"), "success")
            return redirect(url_for("settings.index")), 303
    return render_template("settings/index.html", form=form, errors=errors, fields=CONTACT_FIELDS), status


class ContactIn(Body):
    contact_person: text(Tenant.contact_person) | None = None
    contact_phone: text(Tenant.contact_phone) | None = None
    contact_email: text(Tenant.contact_email) | None = None
    contact_address: text(Tenant.contact_address) | None = None


class ContactOut(Out):
    contact_person: str | None
    contact_phone: str | None
    contact_email: str | None
    contact_address: str | None


@api_bp.get("")
@require_roles(*ROLE_ADMIN)
@operation(responses={200: ContactOut})
def api_get():
    return jsonify({k: getattr(g.tenant, k) for k in CONTACT_FIELDS})


@api_bp.put("")
@require_roles(*ROLE_ADMIN)
@operation(body=ContactIn, responses={200: ContactOut})
def api_put(body: ContactIn):
    update_contact_settings(g.tenant, body.model_dump(), actor=current_user._get_current_object())
    return jsonify({k: getattr(g.tenant, k) for k in CONTACT_FIELDS})
