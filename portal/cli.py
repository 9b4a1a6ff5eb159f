"""Command-line: tenants, audit verification, working days, demo data."""
from __future__ import annotations

import datetime as dt
import sys

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from portal.core.db import tenant_context
from portal.core.errors import DomainError
from portal.core.transactions import transaction
from portal.extensions import db

tenants_cli = AppGroup("tenants", help="平台租户管理")
audit_cli = AppGroup("audit", help="审计记录")
workdays_cli = AppGroup("workdays", help="工作日计算")
rules_cli = AppGroup("rules", help="全国规则版本")
demo_cli = AppGroup("demo", help="演示数据")
users_cli = AppGroup("users", help="账号")


@tenants_cli.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="学联全称，如 广东省学生联合会")
@click.option("--short-name", required=True, help="简称，如 广东省学联")
@click.option("--province", "province_code", required=True, help="省份代码，如 44")
@click.option("--version", default=None, help="采用的全国规则版本（默认跟随当前版本）")
@click.option("--admin-email", required=True)
@click.option("--admin-name", default="")
def tenants_create(slug, name, short_name, province_code, version, admin_email, admin_name):
    """Onboard a provincial federation and invite its first administrator."""

    from portal.platform import operations as onboarding
    from tenants import operations

    try:
        with transaction():
            tenant = operations.create_tenant(slug=slug, name=name, short_name=short_name,
                                              province_code=province_code, version_code=version,
                                              actor="命令行")
            _user, token = onboarding.invite_admin(tenant, admin_email, admin_name, actor="命令行")
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    from flask import current_app

    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    click.echo(f"已创建 {tenant.name} (/{tenant.slug}/)")
    click.echo(f"管理员邀请链接：{base}/platform/invite/{token}")


@tenants_cli.command("list")
def tenants_list():
    from tenants.models import Tenant

    for t in db.session.scalars(sa.select(Tenant).order_by(Tenant.id)):
        click.echo(f"{t.id}\t{t.slug}\t{t.name}\t{t.kind.value}")


@audit_cli.command("verify")
@click.option("--tenant", "slug", default=None, help="只校验一个租户")
def audit_verify(slug):
    """Walk every tenant's hash chain; report the first edited or deleted record."""
    from portal.core.audit import AuditRecord, verify_chain
    from tenants.models import Tenant

    stmt = sa.select(Tenant).order_by(Tenant.id)
    if slug:
        stmt = stmt.where(Tenant.slug == slug)
    bad = False
    for t in db.session.scalars(stmt).all():
        with tenant_context(t.id, db.session):
            db.session.rollback()
            n = db.session.scalar(sa.select(sa.func.count()).select_from(AuditRecord))
            problem = verify_chain(t.id)
        if problem:
            bad = True
            click.echo(f"[{t.slug}] 校验失败：{problem.message}（序号 {problem.seq}，{problem.kind}）")
        else:
            click.echo(f"[{t.slug}] 完整：{n} 条记录")
    sys.exit(1 if bad else 0)


def _parse_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"日期格式应为 YYYY-MM-DD：{value}") from None


@workdays_cli.command("add")
@click.argument("start")
@click.argument("n", type=int)
def workdays_add(start, n):
    """Print the date N working days after START."""
    from portal.core.calendar import calendar
    from portal.core.workdays import NoCalendarData

    try:
        click.echo(calendar().add_workdays(_parse_date(start), n).isoformat())
    except NoCalendarData as exc:
        raise click.ClickException(str(exc)) from None


@workdays_cli.command("between")
@click.argument("start")
@click.argument("end")
def workdays_between(start, end):
    from portal.core.calendar import calendar
    from portal.core.workdays import NoCalendarData

    try:
        click.echo(calendar().workdays_between(_parse_date(start), _parse_date(end)))
    except NoCalendarData as exc:
        raise click.ClickException(str(exc)) from None


@workdays_cli.command("import")
@click.argument("year", type=int)
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--source", default="国务院办公厅通知")
def workdays_import(year, path, source):
    """Import a year's holiday table (CSV: date,kind(休/班),name)."""
    import csv

    from portal.core.calendar import import_year

    with open(path, encoding="utf-8-sig") as fh:
        rows = [r for r in csv.reader(fh)][1:]
    try:
        with transaction():
            row = import_year(year, rows, source)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"已导入 {year} 年：{len(row.days)} 天")


@rules_cli.command("load-national")
def rules_load_national():
    """Load the national ruleset (version 2024) if absent, and the provinces."""
    from portal.reference.operations import ensure_provinces
    from tenants.rules.operations import load_national_file

    with transaction():
        ensure_provinces()
        v = load_national_file()
    click.echo(f"全国规则版本 {v.code} 已就绪")


@users_cli.command("create-operator")
@click.argument("email")
@click.option("--name", default="平台运营方")
@click.password_option()
def create_operator(email, name, password):
    from portal.auth.operations import create_user

    with transaction():
        create_user(email, name, password, platform_operator=True)
    click.echo(f"已创建平台运营方账号 {email}")


@demo_cli.command("load")
def demo_load():
    """Load the demo tenants, schools and one login for every role."""
    from flask import current_app

    from portal.demo import demo_planning_day, load_demo
    from portal.extensions import db

    # A command's process ends when it returns: its jobs (letters, documents) run inline.
    current_app.config["JOBS_EAGER"] = True
    day, note = demo_planning_day()
    db.session.remove()
    if note:
        click.echo(note)
    logins = load_demo()
    click.echo("演示数据已载入。演示账号（密码均为 demo-password）：")
    for who, email in logins:
        click.echo(f"  {who:<28} {email}")


def init_app(app):
    for group in (tenants_cli, audit_cli, workdays_cli, rules_cli, demo_cli, users_cli):
        app.cli.add_command(group)
