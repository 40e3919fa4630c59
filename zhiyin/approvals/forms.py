"""Forms of the request pages. They parse input; every rule lives in the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from zhiyin.approvals.models import Decision
from zhiyin.catalog.models import Matter
from zhiyin.orgs.models import Person, Village, VillageGroup
from zhiyin.seals.models import Seal, SealStatus


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked by the services."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"multiple": True}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        if not data:
            if self.required:
                raise forms.ValidationError(_("请选择文件。"))
            return []
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class SealRequestForm(forms.Form):
    matter = forms.ModelChoiceField(queryset=Matter.objects.none(), label=_("用章事项"))
    seal = forms.ModelChoiceField(queryset=Seal.objects.none(), label=_("印章"))
    stamp_count = forms.IntegerField(label=_("用印次数"), min_value=1, max_value=99, initial=1)
    place_of_use = forms.CharField(label=_("用印地点"), max_length=100)
    purpose = forms.CharField(
        label=_("用印事由"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
    group = forms.ModelChoiceField(
        queryset=VillageGroup.objects.none(), label=_("所属村民小组"), required=False
    )
    on_behalf_of = forms.ModelChoiceField(
        queryset=Person.objects.none(), label=_("代办村民"), required=False
    )
    documents = MultipleFileField(label=_("待用印文件（PDF，或实物盖章用的图片）"), required=False)
    attachments = MultipleFileField(label=_("佐证附件"), required=False)

    def __init__(self, *args: Any, village: Village, matters: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["matter"].queryset = matters  # type: ignore[attr-defined]  # ModelChoiceField
        self.fields["seal"].queryset = Seal.objects.filter(  # type: ignore[attr-defined]  # ModelChoiceField
            village=village, status=SealStatus.ACTIVE
        )
        self.fields["group"].queryset = village.groups.filter(retired_at__isnull=True)  # type: ignore[attr-defined]  # ModelChoiceField
        self.fields["on_behalf_of"].queryset = Person.objects.filter(  # type: ignore[attr-defined]  # ModelChoiceField
            home_village=village, is_active=True
        )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=Decision.choices)
    comment = forms.CharField(max_length=500, required=False)


class WithdrawForm(forms.Form):
    reason = forms.CharField(max_length=500, required=False)
