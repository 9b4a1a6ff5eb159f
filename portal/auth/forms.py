from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    email = EmailField("邮箱", validators=[DataRequired(message="请输入邮箱")])
    password = PasswordField("密码", validators=[DataRequired(message="请输入密码")])


class ChangePasswordForm(FlaskForm):
    current = PasswordField("当前密码", validators=[DataRequired(message="请输入当前密码")])
    new = PasswordField("新密码", validators=[DataRequired(message="请输入新密码"),
                                             Length(min=10, message="新密码至少10个字符")])
    confirm = PasswordField("确认新密码", validators=[EqualTo("new", message="两次输入的新密码不一致")])


class TokenForm(FlaskForm):
    name = StringField("令牌名称", validators=[DataRequired(message="请填写名称"), Length(max=80)])
