"""Extensions created at import; bound in create_app (Redash `app.py` style)."""
from flask_babel import Babel
from flask_login import LoginManager
from flask_mail import Mail
import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from portal.core.db import NAMING_CONVENTION, Model, TenantSession, bind_extension

# The naming convention goes to the extension's metadata (a class attribute on a pre-2.x model
# class is not read), so models, Alembic's operations and the live schema share one set of names.
db = SQLAlchemy(model_class=Model, metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
                session_options={"class_": TenantSession, "expire_on_commit": False})
bind_extension(db)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
mail = Mail()


def ensure_migrate(app):
    """Flask-Migrate bound to ``app`` (``app.extensions["migrate"]``), loaded on first need: it
    imports Alembic, Mako and Pygments (~11 MB a process), which only ``flask db`` and the
    tests' schema set-up use, never a web or worker process."""
    if "migrate" not in app.extensions:
        from flask_migrate import Migrate

        from portal import config_dir

        Migrate().init_app(app, db, directory=str(config_dir()))
    return app.extensions["migrate"]
