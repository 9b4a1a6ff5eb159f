"""Extensions created at import; bound in create_app (Redash `app.py` style)."""
from flask_babel import Babel
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from portal.core.db import Model, TenantSession, bind_extension

db = SQLAlchemy(model_class=Model, session_options={"class_": TenantSession, "expire_on_commit": False})
bind_extension(db)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
mail = Mail()
