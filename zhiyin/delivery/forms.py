from __future__ import annotations

from typing import ClassVar

from django import forms

from zhiyin.delivery.models import NotificationPreference


class PreferenceForm(forms.ModelForm):  # type: ignore[type-arg]  # django-stubs generic
    class Meta:
        model = NotificationPreference
        fields: ClassVar = ["email", "sms", "staff_platform"]
