from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class PhoneForm(forms.Form):
    phone = forms.RegexField(
        label=_("手机号"),
        regex=r"^1\d{10}$",
        error_messages={"invalid": _("请输入 11 位手机号。")},
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )


class CodeForm(forms.Form):
    phone = forms.CharField(widget=forms.HiddenInput)
    code = forms.RegexField(
        label=_("验证码"),
        regex=r"^\d{6}$",
        error_messages={"invalid": _("请输入短信中的 6 位数字验证码。")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class AskForm(forms.Form):
    need = forms.CharField(label=_("您要办理什么证明或事项？"), max_length=100)


class RegisterFileForm(forms.Form):
    file = forms.FileField(label=_("村民底册文件（.xlsx 或 .csv）"))
