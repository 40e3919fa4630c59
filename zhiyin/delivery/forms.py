from __future__ import annotations

from typing import Any, ClassVar

from django import forms

from zhiyin.delivery.models import NotificationPreference


class PreferenceForm(forms.ModelForm):  # type: ignore[type-arg]  # django-stubs generic
    class Meta:
        model = NotificationPreference
        fields: ClassVar = ["email", "sms", "staff_platform"]

    def __init__(self, *args: Any, resident: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if resident:  # the staff platform is for staff: a resident is not offered it
            del self.fields["staff_platform"]
