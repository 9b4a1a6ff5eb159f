"""Domain errors and the error pages: Chinese HTML, JSON under /api/."""
from __future__ import annotations

from flask import jsonify, render_template, request
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

from portal.core.db import ForeignReference, NoTenant, TenantViolation
from portal.extensions import db

MESSAGES = {
    400: ("请求有误", "提交的内容不完整或格式不正确。"),
    401: ("请先登录", "访问该页面需要先登录。"),
    403: ("无权访问", "您没有访问该页面或执行该操作的权限。"),
    404: ("页面不存在", "您要找的页面或记录不存在，或不属于当前学联。"),
    405: ("方法不允许", "该地址不支持此请求方式。"),
    409: ("操作冲突", "该操作与当前状态冲突，请刷新后重试。"),
    422: ("无法处理", "提交的内容无法处理。"),
    413: ("文件过大", "上传的文件超过了大小限制。"),
    429: ("操作过于频繁", "尝试次数过多，请稍后再试。"),
    500: ("系统错误", "服务器出现错误，我们已记录，请稍后再试。"),
}


class DomainError(Exception):
    """A business rule refused the request; message is Chinese, shown as is."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None,
                 field: str | None = None, details=None):
        super().__init__(message)
        self.message = message
        if status:
            self.status = status
        if code:
            self.code = code
        self.field = field
        self.details = details


def refused(exc: DomainError, back: str, *, raise_for=(403,)):
    """A form's action refused: nothing it wrote stays (rolled back, and the request will not
    commit), the refusal is flashed on the page it goes back to (303). A status in
    ``raise_for`` (403: not yours to do) stays an error page instead."""
    from flask import flash, g, redirect

    db.session.rollback()
    g._no_commit = True
    if exc.status in raise_for:
        raise exc
    flash(exc.message, "error")
    return redirect(back, 303)


class Conflict(DomainError):
    status = 409
    code = "conflict"


def wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json"
    )


def error_response(status: int, message: str | None = None, code: str | None = None, details=None):
    from portal.core.i18n import translate_message

    title, default_msg = MESSAGES.get(status, MESSAGES[500] if status >= 500 else MESSAGES[400])
    msg = translate_message(str(message or default_msg))  # the page's (or the API caller's) language
    if wants_json():
        body = {"error": {"status": status, "code": code or title, "message": msg}}
        if details is not None:
            body["error"]["details"] = details
        return jsonify(body), status
    return render_template("errors/error.html", status=status, title=translate_message(title), message=msg), status


def _too_large_message() -> str:
    from flask import current_app

    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if not limit:
        return MESSAGES[413][1]
    return f"上传的文件超过了 {limit / (1024 * 1024):g} MB 的大小限制，请压缩或拆分后重新上传。"


def init_app(app):
    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        db.session.rollback()
        if exc.code == 401 and not wants_json():
            from flask import redirect, url_for

            return redirect(url_for("auth.login", next=request.full_path))
        # Werkzeug's stock descriptions are English: show ours unless a view gave one.
        description = exc.description if exc.description != type(exc).description else None
        if exc.code == 413 and description is None:
            description = _too_large_message()
        from flask import make_response

        resp = make_response(error_response(exc.code or 500, description))
        if exc.code == 405 and getattr(exc, "valid_methods", None):
            resp.headers["Allow"] = ", ".join(exc.valid_methods)  # RFC 9110: a 405 names what is allowed
        if exc.code == 429 and getattr(exc, "retry_after", None):
            resp.headers["Retry-After"] = str(exc.retry_after)
        return resp

    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        db.session.rollback()
        return error_response(exc.status, exc.message, exc.code, exc.details)

    from portal.core.workdays import NoCalendarData

    @app.errorhandler(NoCalendarData)
    def _no_calendar(exc):
        db.session.rollback()
        return error_response(422, str(exc), "no_calendar_data")

    @app.errorhandler(ForeignReference)
    def _foreign_reference(exc):
        # an id from the request names another tenant's row, or none: nothing is written
        db.session.rollback()
        app.logger.warning("foreign reference: %s", exc)
        return error_response(422, f"所选的记录（{exc.column}）不存在或不属于当前学联，未保存任何内容。",
                              "invalid_reference", details={"fields": {exc.column: ["不存在或不属于当前学联"]}})

    @app.errorhandler(TenantViolation)
    @app.errorhandler(NoTenant)
    def _violation(exc):
        db.session.rollback()
        app.logger.warning("tenant violation: %s", exc)
        return error_response(403, "不能操作其他学联的数据")

    @app.errorhandler(IntegrityError)
    def _integrity(exc):
        db.session.rollback()
        return error_response(409, "数据与已有记录冲突（可能重复提交），未保存任何内容。")

    @app.errorhandler(OperationalError)
    def _operational(exc):
        db.session.rollback()
        text = str(exc).lower()
        if "locked" in text or "could not serialize" in text or "deadlock detected" in text:
            return error_response(409, "其他人正在同时修改，请稍后重试。")
        raise exc
