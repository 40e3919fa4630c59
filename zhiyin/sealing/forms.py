from __future__ import annotations

import re
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from zhiyin.seals.models import Seal

#: Largest id a database row can have (a larger number is refused, never queried).
MAX_ID = 2**63 - 1


class _IdMultipleChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]  # generic in django-stubs
    """Refuses values that are not row ids before querying: a 400-digit number would
    otherwise reach the database and overflow its integer type."""

    def _check_values(self, value: Any) -> Any:
        for item in value:
            text = str(item)
            if not text.isdigit() or int(text) > MAX_ID:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": text[:20]},
                )
        return super()._check_values(value)  # type: ignore[misc]  # private in django-stubs


class SealingForm(forms.Form):
    """The custodian's choices. The click position (``at.x``/``at.y`` from the page
    image) is read by the view, since it is not a named field."""

    seals = _IdMultipleChoiceField(
        queryset=Seal.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        label=_("加盖的电子印章"),
        error_messages={"required": _("请至少选择一枚电子印章。")},
    )
    document = forms.IntegerField(
        widget=forms.HiddenInput, required=False, min_value=1, max_value=MAX_ID
    )
    page = forms.IntegerField(
        widget=forms.HiddenInput, required=False, min_value=0, max_value=10_000
    )

    def __init__(self, *args: Any, seals: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        seal_field = self.fields["seals"]
        assert isinstance(seal_field, forms.ModelMultipleChoiceField)
        seal_field.queryset = seals


class VerifyNumberForm(forms.Form):
    number = forms.CharField(label=_("文件编号"), max_length=60)

    def clean_number(self) -> str:
        """The number becomes part of the page's address: letters, digits and dashes."""
        number = str(self.cleaned_data["number"]).strip()
        if not re.fullmatch(r"[\w.\-]+", number):
            raise forms.ValidationError(_("文件编号只含字母、数字和短横线，请照纸上的编号填写。"))
        return number


class VerifyUploadForm(forms.Form):
    file = forms.FileField(label=_("上传要核验的 PDF 文件"))

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > settings.UPLOAD_MAX_BYTES:
            raise forms.ValidationError(
                _("文件太大（最大 %(mb)d MB）。") % {"mb": settings.UPLOAD_MAX_BYTES // 2**20}
            )
        head = upload.read(5)
        upload.seek(0)
        if head != b"%PDF-":
            raise forms.ValidationError(_("这不是 PDF 文件，请上传盖章后的 PDF 原件。"))
        return upload
