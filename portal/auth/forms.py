from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    email = EmailField(_l("邮箱"), validators=[DataRequired(message=_l("请输入邮箱"))])
    password = PasswordField(_l("密码"), validators=[DataRequired(message=_l("请输入密码"))])


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("当前密码"), validators=[DataRequired(message=_l("请输入当前密码"))])
    new = PasswordField(_l("新密码"), validators=[DataRequired(message=_l("请输入新密码")),
                                             Length(min=10, message=_l("新密码至少10个字符"))])
    confirm = PasswordField(_l("确认新密码"), validators=[EqualTo("new", message=_l("两次输入的新密码不一致"))])


class TokenForm(FlaskForm):
    name = StringField(_l("令牌名称"), validators=[DataRequired(message=_l("请填写名称")), Length(max=80)])
