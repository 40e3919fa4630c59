"""Forms of the oversight pages: they parse and show errors; the rules live in services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhiyin.oversight.models import Severity, WarningState

MAX_PERIOD_DAYS = 3 * 366


def _state_choices() -> list[tuple[str, Any]]:
    return [("", _("全部状态")), ("open", _("未办结")), *WarningState.choices]


class WarningFilterForm(forms.Form):
    village = forms.TypedChoiceField(
        label=_("村（社区）"), required=False, coerce=int, empty_value=None
    )
    rule = forms.ChoiceField(label=_("规则"), required=False)
    state = forms.ChoiceField(label=_("状态"), required=False, choices=_state_choices)
    severity = forms.ChoiceField(
        label=_("严重程度"), required=False, choices=[("", _("全部")), *Severity.choices]
    )
    start = forms.DateField(
        label=_("预警日期自"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("至"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(
        self,
        *args: Any,
        villages: list[tuple[int, str]],
        rules: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["village"].choices = [("", _("全部村（社区）")), *villages]  # type: ignore[attr-defined]  # a ChoiceField
        self.fields["rule"].choices = [("", _("全部规则")), *rules]  # type: ignore[attr-defined]  # a ChoiceField


class RectifyForm(forms.Form):
    explanation = forms.CharField(
        label=_("整改说明（预警消除申请）"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class CloseForm(forms.Form):
    conclusion = forms.CharField(
        label=_("办结结论"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class DismissForm(forms.Form):
    reason = forms.CharField(
        label=_("撤销理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class DismissDecideForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("复核意见"), choices=[("confirm", _("同意撤销")), ("refuse", _("不同意撤销"))]
    )
    comment = forms.CharField(
        label=_("说明"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


def _default_start() -> dt.date:
    return timezone.localdate().replace(day=1)


class PeriodForm(forms.Form):
    """A period of at most about three years (a ledger or the statistics)."""

    start = forms.DateField(label=_("起始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("截止日期"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                raise forms.ValidationError(_("截止日期不能早于起始日期。"))
            if (end - start).days > MAX_PERIOD_DAYS:
                raise forms.ValidationError(_("时间跨度不能超过三年。"))
        return data


class LedgerForm(PeriodForm):
    village = forms.TypedChoiceField(label=_("村（社区）"), coerce=int)

    def __init__(self, *args: Any, villages: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["village"].choices = villages  # type: ignore[attr-defined]  # a ChoiceField
