from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class SealStatusForm(forms.Form):
    action = forms.ChoiceField(
        choices=[
            ("suspend", _("暂停使用")),
            ("reinstate", _("恢复使用")),
            ("retire", _("停用（不可恢复）")),
        ],
        label=_("操作"),
    )
    reason = forms.CharField(
        label=_("原因"), max_length=200, widget=forms.TextInput(attrs={"size": 30})
    )
