"""The vault: every uploaded and generated file, kept per tenant (issue 11, item 3).

A file is stored through :func:`store` inside the transaction that records it: its type is judged
by its content (never by its name or the browser's Content-Type), its sha256 and size are kept
with its cleaned original name, who stored it and when. The bytes are written only **after the
transaction commits** (an ``after_commit`` hook), under ``UPLOAD_FOLDER/<tenant id>/files/``; a
rollback writes nothing. What a crash can still leave behind — a file with no row, a row whose
write never happened, a row that nothing refers to any more — is removed by :func:`sweep_orphans`,
a periodic job (``portal.jobs.periodic``).

Each file has an access level (``public``, ``tenant``, ``restricted``) and, when restricted, an
access list of entries ``role:<role>``, ``user:<id>`` and ``owner`` (who stored it). A download
goes through :func:`send`, which checks the list on the server (another tenant's file, or one the
user may not have, is a 404) and logs every view and download in ``vault_access_log``. A feature
that has made its own narrower check (the liaison of the school a letter is addressed to, a
public notice while it runs) passes that check's name as ``grant``; it is logged as such.

Internal materials (A20, issue 14 item 3) carry a ``classification`` — 公开, 内部 or 敏感, never a
state-secret marking (秘密/机密/绝密: the portal is not a classified system and refuses them with
:data:`NOT_CLASSIFIED_NOTICE`) — and may be ``downloadable`` or view-only. Their every view,
download and export is also written to the audit chain, and a feature may pass ``stamp`` to
:func:`send` to watermark what is served (the reader's name and the time on a PDF).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import logging
import os
import re
import uuid
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.db import StrEnum, TenantScoped, enum_column, tenant_context, utcnow
from portal.core.transactions import write_atomically
from portal.core.uploads.attachments import (
    ATTACHMENT_MIME_TYPES, ATTACHMENT_TYPES, _TYPE_ALIASES, _describe_content, _detect_attachment,
    attachment_filename, check_size, safe_filename, wrong_type,
)
from portal.core.uploads.errors import UploadError
from portal.extensions import db

log = logging.getLogger(__name__)

# --- what a file is, judged by its content ---------------------------------------------------

FILE_TYPES: dict[str, str] = {**ATTACHMENT_TYPES, "docx": "DOCX", "xlsx": "XLSX"}
_DESCRIPTIONS = {"pdf": "PDF 文档", "jpg": "JPG 图片", "png": "PNG 图片", "docx": "Word 文档（DOCX）",
                 "xlsx": "Excel 工作簿（XLSX）"}
MIME_TYPES: dict[str, str] = {
    **ATTACHMENT_MIME_TYPES,
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# The main part an Office package declares in its [Content_Types].xml.
_OFFICE_MAIN = {
    b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": "docx",
    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": "xlsx",
    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml": None,  # .xlsm: never stored
}
_EXTENSIONS = {"pdf": "pdf", "jpg": "jpg", "jpeg": "jpg", "jpe": "jpg", "png": "png", "docx": "docx", "xlsx": "xlsx"}
_CONTENT_TYPES_MAX = 256 * 1024


def detect_type(data: bytes) -> str | None:
    """``pdf``, ``jpg``, ``png``, ``docx`` or ``xlsx`` from the bytes, or None."""
    kind = _detect_attachment(data)
    if kind or not data.startswith(b"PK\x03\x04"):
        return kind
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            info = zf.getinfo("[Content_Types].xml")
            if info.file_size > _CONTENT_TYPES_MAX:
                return None
            types = zf.read(info)
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError, NotImplementedError, EOFError):
        return None
    found = {kind for main, kind in _OFFICE_MAIN.items() if main in types}
    return found.pop() if len(found) == 1 else None


def judge(data: bytes, filename: str | None, allowed: Sequence[str], *, max_size: int | None = None) -> str:
    """The file's type by its content, one of ``allowed``; else an :class:`UploadError`.

    A name whose extension claims another type is refused when either side is an Office package
    (a ZIP named ``.pdf``, a workbook named ``.docx``): that is a different kind of file, not a
    scan with a loose name. Between PDF and images the name follows the content (scanners and
    phones name files loosely; :func:`attachment_filename` gives the stored name its real
    extension)."""
    allowed = [_TYPE_ALIASES.get(str(a).lower().lstrip("."), str(a).lower().lstrip(".")) for a in allowed]
    if unknown := [a for a in allowed if a not in FILE_TYPES]:
        raise ValueError(f"unsupported file type in allowed: {unknown!r}")
    check_size(data, max_size)
    kind = detect_type(data)
    claimed = _EXTENSIONS.get((filename or "").rpartition(".")[2].lower()) if "." in (filename or "") else None
    office = {"docx", "xlsx"}
    zipped = kind in office or data.startswith((b"PK\x03\x04", b"PK\x05\x06"))
    if claimed and claimed != kind and (claimed in office or zipped):
        actual = _DESCRIPTIONS.get(kind) or _describe_content(data) or "无法识别的内容"
        raise UploadError(f"文件扩展名是 .{claimed}，但其实际内容是{actual}：扩展名与内容不符，"
                          f"请上传真正的 {FILE_TYPES[claimed]} 文件", "type_mismatch")
    if kind in allowed:
        return kind
    raise wrong_type(data, "、".join(FILE_TYPES[a] for a in allowed), _DESCRIPTIONS.get(kind))


def stored_filename(name: str | None, ftype: str) -> str:
    """The cleaned original name, its extension following the content."""
    if ftype in ATTACHMENT_TYPES:
        return attachment_filename(name, ftype)
    s = safe_filename(name, max_chars=250)
    stem, dot, ext = s.rpartition(".")
    if dot and ext.lower() == ftype:
        return s
    return f"{s or '文件'}.{ftype}"


# --- the rows --------------------------------------------------------------------------------

class AccessLevel(StrEnum):
    public = "public"          # anyone, signed in or not (a feature decides when it is shown)
    tenant = "tenant"          # any member of the tenant
    restricted = "restricted"  # the access list


class Classification(StrEnum):
    """A20: the levels of the internal materials the vault may hold (never a state secret)."""
    public = "public"          # 公开
    internal = "internal"      # 内部
    sensitive = "sensitive"    # 敏感


CLASSIFICATION_LABELS = {"public": "公开", "internal": "内部", "sensitive": "敏感"}
# A20: the portal is not a classified system (非涉密系统); a state-secret marking is refused.
NOT_CLASSIFIED_NOTICE = "本系统为非涉密系统，严禁处理、存储、传输涉密信息"
STATE_SECRET_MARKINGS = ("秘密", "机密", "绝密")
_SECRET_ALIASES = {"secret", "confidential", "top_secret", "top-secret", "topsecret", "classified"}


class ClassifiedRefused(UploadError):
    pass


def check_classification(value) -> Classification:
    """The level named by ``value`` (公开/内部/敏感 or its English key); a 秘密/机密/绝密 marking, or
    anything else, is refused (A20) with :data:`NOT_CLASSIFIED_NOTICE`.

    Raises :class:`portal.core.errors.DomainError` (422, field ``classification``)."""
    from portal.core.errors import DomainError

    raw = str(value or "").strip()
    if not raw:
        raise DomainError("请选择密级：公开、内部或敏感（第二十条）", status=422, code="invalid_fields",
                          field="classification", details={"classification": "请选择密级：公开、内部或敏感（第二十条）"})
    for level, label in CLASSIFICATION_LABELS.items():
        if raw in (level, label):
            return Classification(level)
    if any(m in raw for m in STATE_SECRET_MARKINGS) or raw.lower() in _SECRET_ALIASES:
        msg = f"{NOT_CLASSIFIED_NOTICE}（第二十条）：不能标注为「{raw[:20]}」"
        raise DomainError(msg, status=422, code="classified_refused", field="classification",
                          details={"classification": msg})
    msg = "密级只能是公开、内部或敏感（第二十条）"
    raise DomainError(msg, status=422, code="invalid_fields", field="classification", details={"classification": msg})


class StoredFile(TenantScoped, db.Model):
    __job_owned__ = True  # document jobs store files
    __tablename__ = "vault_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(sa.String(40), nullable=False, index=True)
    # UPLOAD_FOLDER-relative: "<tenant id>/files/<32 hex>.<type>" (generated, never user input).
    storage_key: Mapped[str] = mapped_column(sa.String(120), nullable=False, unique=True)
    file_type: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    content_type: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    size: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    original_name: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    access_level: Mapped[AccessLevel] = enum_column(AccessLevel, nullable=False, default=AccessLevel.restricted)
    access: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    # A20: an internal material's level (None: a feature's own file, e.g. a generated document).
    classification: Mapped[Classification | None] = enum_column(Classification, nullable=True)
    downloadable: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True,
                                               server_default=sa.true())
    stored_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    stored_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, default=utcnow, nullable=False)


class FileAccess(TenantScoped, db.Model):
    """One view, download or export of a stored file (or a reading of this log), and what let it
    through. Read by document and by person with keyset paging (newest first): the two indexes
    below serve those filters without a sort."""

    __tablename__ = "vault_access_log"
    __table_args__ = (sa.Index("ix_vault_access_log_file_seek", "tenant_id", "file_id", "id"),
                      sa.Index("ix_vault_access_log_user_seek", "tenant_id", "user_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Kept when the file is swept (the log outlives it).
    file_id: Mapped[int | None] = mapped_column(sa.ForeignKey("vault_files.id", ondelete="SET NULL"),
                                                nullable=True, index=True)
    action: Mapped[str] = mapped_column(sa.String(10), nullable=False)  # view | download | export | log_read
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    granted_by: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    remote_addr: Mapped[str | None] = mapped_column(sa.String(45), nullable=True)
    at: Mapped[dt.datetime] = mapped_column(sa.DateTime, default=utcnow, nullable=False)


# --- where files live ------------------------------------------------------------------------

_KEY = re.compile(r"(\d+)/files/[0-9a-f]{32}\.(pdf|jpg|png|docx|xlsx)")


def _root() -> str:
    from flask import current_app

    return current_app.config["UPLOAD_FOLDER"]


def tenant_folder(tenant_id: int) -> str:
    return os.path.join(_root(), str(int(tenant_id)), "files")


def path_of(f: StoredFile) -> str:
    """The file's path; a key outside its own tenant's folder is refused (never followed)."""
    m = _KEY.fullmatch(f.storage_key or "")
    if m is None or int(m.group(1)) != f.tenant_id:
        raise LookupError(f"vault file {f.id}: storage key outside tenant {f.tenant_id}'s folder")
    return os.path.join(_root(), *f.storage_key.split("/"))


# --- storing: the row now, the bytes after the commit ----------------------------------------

_PENDING = "portal.vault.pending"   # [(transaction, path, bytes)]
_REMOVALS = "portal.vault.removals"  # [(transaction, path)]


def _stage(key: str, *item) -> None:
    """Remember ``item`` in the session with the (innermost) transaction it belongs to."""
    session = db.session()
    tx = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(key, []).append((tx, *item))


def store(tenant_id: int, data: bytes, *, filename: str | None, purpose: str, allowed: Sequence[str],
          stored_by=None, access_level: AccessLevel | str = AccessLevel.restricted,
          access: Iterable[str] = ("owner",), max_size: int | None = None,
          name: str | None = None, classification: Classification | str | None = None,
          downloadable: bool = True) -> StoredFile:
    """Record ``data`` (judged, hashed) and write it once the transaction commits.

    ``stored_by``: the user (or their id) who stored it, the ``owner`` of the access list.
    ``name``: the name to keep when it is ours (a generated document's), else the cleaned
    upload name. ``classification``: an internal material's level (A20, checked by
    :func:`check_classification`: a 秘密/机密/绝密 marking is refused before anything is judged).
    Raises :class:`UploadError` for a refused file; nothing is recorded then."""
    level = check_classification(classification) if classification is not None else None
    ftype = judge(data, filename, allowed, max_size=max_size)
    key = f"{int(tenant_id)}/files/{uuid.uuid4().hex}.{ftype}"
    f = StoredFile(tenant_id=tenant_id, purpose=purpose, storage_key=key, file_type=ftype,
                   content_type=MIME_TYPES[ftype], size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                   original_name=name or stored_filename(filename, ftype), access_level=AccessLevel(access_level),
                   access=sorted(set(access)), classification=level, downloadable=bool(downloadable),
                   stored_by_id=stored_by if isinstance(stored_by, int) else getattr(stored_by, "id", None))
    db.session.add(f)
    db.session.flush()  # a row the database refuses leaves nothing to write
    _stage(_PENDING, path_of(f), bytes(data))
    return f


def discard(files: Iterable[StoredFile]) -> int:
    """Delete the rows now and the files after the commit (a rollback keeps both)."""
    n = 0
    for f in files:
        _stage(_REMOVALS, path_of(f))
        db.session.delete(f)
        n += 1
    db.session.flush()
    return n


def _write(path: str, data: bytes) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    write_atomically(path, data)


def _after_commit(session) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT released: the real commit is still to come
    for _tx, path, data in session.info.pop(_PENDING, []):
        try:
            _write(path, data)
        except OSError:  # the row stays without its file: the sweep removes it
            log.exception("vault: writing %s after commit failed", path)
    for _tx, path in session.info.pop(_REMOVALS, []):
        with contextlib.suppress(OSError):
            os.remove(path)


def _within(tx, ended) -> bool:
    while tx is not None:
        if tx is ended:
            return True
        tx = tx.parent
    return False


def _after_rollback(session, previous_transaction) -> None:
    """Whatever was staged in the transaction (or savepoint) rolled back is never written."""
    for key in (_PENDING, _REMOVALS):
        staged = session.info.get(key)
        if staged:
            session.info[key] = [s for s in staged if not _within(s[0], previous_transaction)]


def _listen() -> None:
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    if not event.contains(Session, "after_commit", _after_commit):
        # First: a job dispatched by the same commit may read the file.
        event.listen(Session, "after_commit", _after_commit, insert=True)
        event.listen(Session, "after_soft_rollback", _after_rollback)


_listen()


# --- access and the log ----------------------------------------------------------------------

def granted_by(f: StoredFile, user, roles) -> str | None:
    """What lets ``user`` (with ``roles`` in the file's tenant) have the file, or None."""
    if f.access_level == AccessLevel.public:
        return "public"
    uid = getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None
    if uid is None:
        return None
    if f.access_level == AccessLevel.tenant:
        return "tenant" if roles else None
    entries = set(f.access or ())
    for r in sorted(str(r) for r in roles or ()):
        if f"role:{r}" in entries:
            return f"role:{r}"
    if f"user:{uid}" in entries:
        return "user"
    if "owner" in entries and f.stored_by_id == uid:
        return "owner"
    return None


def record_access(f: StoredFile | None, action: str, user, granted: str, *, tenant_id: int | None = None,
                  details: dict | None = None) -> FileAccess:
    """Log one access. An internal material's (A20: it has a classification), and every reading
    of the log itself (``f`` None, ``action`` ``log_read``), also goes into the audit chain."""
    from flask import has_request_context, request

    uid = getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None
    tid = f.tenant_id if f is not None else tenant_id
    entry = FileAccess(tenant_id=tid, file_id=f.id if f is not None else None, action=action, user_id=uid,
                       granted_by=granted[:60],
                       remote_addr=(request.remote_addr or "")[:45] or None if has_request_context() else None)
    db.session.add(entry)
    db.session.flush()
    if f is None or f.classification is not None:
        from portal.core import audit

        after = {"action": action, "granted_by": granted[:60], "log_id": entry.id, **(details or {})}
        if f is not None:
            after.update(name=f.original_name, classification=f.classification.value, sha256=f.sha256)
        audit.record(f"vault.{action}", "vault_file" if f is not None else "vault_access_log",
                     f.id if f is not None else None, actor=user if uid else None, article="A20", after=after,
                     tenant_id=tid)
    return entry


class ViewOnly(Exception):
    """A view-only file asked for as a download (A20)."""


def send(f: StoredFile | None, *, user, roles, download_name: str | None = None, inline: bool = False,
         public_cache: bool = False, grant: str | None = None, stamp=None, action: str | None = None):
    """The file as a response, after the access check; logged. Refused or another tenant's: 404.

    ``grant`` names a feature's own check that has already allowed this user (it replaces the
    access list, and is logged). The log row commits with the request (a 200). A view-only file
    (``downloadable`` false) is served only ``inline`` (A20: a download is refused, 403).
    ``stamp``: ``bytes -> bytes`` applied to the content before it is served (a watermark)."""
    from flask import abort, send_file

    from portal.core.db import current_tenant_id

    if f is None or f.tenant_id != current_tenant_id():
        abort(404)
    granted = grant or granted_by(f, user, roles)
    if granted is None:
        abort(404)  # never 403: no probing of which files exist
    from portal.core.errors import DomainError

    if not inline and not f.downloadable:
        raise DomainError("该文件仅供在线查看，不可下载（第二十条）", status=403, code="view_only")
    try:
        source = path_of(f)
        if stamp is not None:
            with open(source, "rb") as fh:
                source = io.BytesIO(stamp(fh.read()))
        resp = send_file(source, mimetype=f.content_type, as_attachment=not inline,
                         download_name=download_name or f.original_name, max_age=0, conditional=False)
    except FileNotFoundError:
        raise DomainError("文件已丢失，请重新上传或生成", status=410, code="gone") from None
    record_access(f, action or ("view" if inline else "download"), user, granted)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "public, max-age=60" if public_cache else "private, no-store"
    return resp


# --- the sweep ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Referrer:
    """A feature's column pointing at vault files of one purpose, and what to do with its rows
    when their file turns out never to have been written: ``delete`` them or set ``null``."""

    purpose: str
    table: str
    column: str = "file_id"
    on_lost: str = "delete"


REFERRERS: dict[str, list[Referrer]] = {}


def register_referrer(ref: Referrer) -> Referrer:
    if ref.on_lost not in ("delete", "null"):
        raise ValueError(ref.on_lost)
    refs = REFERRERS.setdefault(ref.purpose, [])
    if ref not in refs:
        refs.append(ref)
    return ref


SWEEP_GRACE = dt.timedelta(hours=1)


def sweep_tenant(tenant_id: int, *, grace: dt.timedelta = SWEEP_GRACE, now: dt.datetime | None = None) -> dict:
    """Remove one tenant's orphans older than ``grace``: files with no row (and stale ``.part``
    files), rows whose file was never written (with the rows that refer to them) and rows that
    no registered referrer points at any more. Returns what was removed."""
    now = now or utcnow()
    cutoff = now - grace
    out = {"files": 0, "lost": 0, "unreferenced": 0}
    with tenant_context(tenant_id, db.session):
        rows = db.session.execute(sa.select(StoredFile.id, StoredFile.storage_key, StoredFile.purpose,
                                            StoredFile.stored_at)).all()
        known = {r.storage_key.rsplit("/", 1)[-1] for r in rows}
        folder = tenant_folder(tenant_id)
        with contextlib.suppress(FileNotFoundError):
            for entry in os.scandir(folder):
                if not entry.is_file(follow_symlinks=False) or entry.name in known:
                    continue
                mtime = dt.datetime.fromtimestamp(entry.stat().st_mtime, dt.timezone.utc).replace(tzinfo=None)
                if mtime < cutoff:
                    with contextlib.suppress(OSError):
                        os.remove(entry.path)
                        out["files"] += 1
        old = [r for r in rows if r.stored_at < cutoff]
        # No folder at all (the shared storage not mounted) is not a tenant whose every write failed.
        lost = [r for r in old if not os.path.exists(os.path.join(_root(), *r.storage_key.split("/")))
                ] if os.path.isdir(folder) else []
        for r in lost:
            for ref in REFERRERS.get(r.purpose, ()):
                t = sa.table(ref.table, sa.column(ref.column), sa.column("tenant_id"))
                where = (t.c[ref.column] == r.id) & (t.c.tenant_id == tenant_id)
                db.session.execute(sa.delete(t).where(where) if ref.on_lost == "delete"
                                   else sa.update(t).where(where).values({ref.column: None}))
        unreferenced = []
        for r in old:
            refs = REFERRERS.get(r.purpose)
            if not refs or r in lost:
                continue
            if not any(db.session.scalar(sa.select(sa.literal(1)).select_from(sa.table(ref.table))
                                         .where(sa.column(ref.column) == r.id).limit(1)) for ref in refs):
                unreferenced.append(r)
        doomed = [r.id for r in lost + unreferenced]
        if doomed:
            db.session.execute(sa.update(FileAccess).where(FileAccess.file_id.in_(doomed)).values(file_id=None))
            db.session.execute(sa.delete(StoredFile).where(StoredFile.id.in_(doomed)))
            from portal.core import audit

            audit.record("vault.swept", "tenant", tenant_id, actor="后台任务",
                         after={"lost": [r.storage_key for r in lost],
                                "unreferenced": [r.storage_key for r in unreferenced]})
        db.session.commit()
        for r in unreferenced:
            with contextlib.suppress(OSError):
                os.remove(os.path.join(_root(), *r.storage_key.split("/")))
    out["lost"], out["unreferenced"] = len(lost), len(unreferenced)
    return out


def sweep_orphans() -> dict:
    """The periodic job: :func:`sweep_tenant` for every tenant."""
    totals = {"files": 0, "lost": 0, "unreferenced": 0}
    tenants = sa.table("tenants", sa.column("id"))  # core does not import tenants' models
    for tid in db.session.scalars(sa.select(tenants.c.id).order_by(tenants.c.id)).all():
        for k, v in sweep_tenant(tid).items():
            totals[k] += v
    return totals
