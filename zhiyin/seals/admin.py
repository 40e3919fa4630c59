"""Registering seals in the admin. Status changes (suspend, reinstate, retire) need a
reason and happen on the seal's own page, where its history is shown."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Model
from django.forms import ModelForm
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _lazy

from zhiyin.core.errors import RuleViolation
from zhiyin.orgs.admin import ScopedAdmin, admin_villages, site
from zhiyin.orgs.auth import request_person
from zhiyin.orgs.models import Collective, VillageGroup
from zhiyin.seals.models import ElectronicSeal, Seal
from zhiyin.seals.services import seal_register, seal_register_check


class SealForm(ModelForm):  # type: ignore[type-arg]  # Seal
    name = forms.CharField(
        label=_lazy("印文（单位名称）"),
        max_length=60,
        required=False,
        help_text=_lazy("留空则按所属单位自动生成，如“水南村村民委员会”。"),
    )

    class Meta:
        model = Seal
        fields = (
            "village",
            "kind",
            "group",
            "collective",
            "name",
            "code",
            "is_physical",
            "is_electronic",
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("village") is None or not data.get("kind"):
            return data
        try:
            seal_register_check(
                village=data["village"],
                kind=data["kind"],
                code=data.get("code", ""),
                group=data.get("group"),
                collective=data.get("collective"),
                is_physical=bool(data.get("is_physical")),
                is_electronic=bool(data.get("is_electronic")),
            )
        except RuleViolation as exc:
            raise forms.ValidationError(exc.message) from exc
        return data


class SealAdmin(ScopedAdmin):
    form = SealForm
    list_display = (
        "__str__",
        "code",
        "village",
        "status",
        "is_physical",
        "is_electronic",
        "status_page",
    )
    list_filter = ("status", "kind", "is_electronic")
    search_fields = ("name", "code", "village__name")
    list_select_related = ("village", "group", "collective")

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return obj is None and self.has_module_permission(request)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        villages = admin_villages(request)
        if db_field.name == "village":
            kwargs["queryset"] = villages
        elif db_field.name == "group":
            kwargs["queryset"] = VillageGroup.objects.filter(village__in=villages)
        elif db_field.name == "collective":
            kwargs["queryset"] = Collective.objects.filter(village__in=villages)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = form.cleaned_data
        created = seal_register(
            village=data["village"],
            kind=data["kind"],
            code=data["code"],
            by=request_person(request),
            name=data.get("name", ""),
            group=data.get("group"),
            collective=data.get("collective"),
            is_physical=bool(data.get("is_physical")),
            is_electronic=bool(data.get("is_electronic")),
        )
        obj.pk = created.pk

    @admin.display(description=_lazy("状态变更"))
    def status_page(self, obj: Seal) -> SafeString:
        return format_html(
            '<a href="{}">{}</a>', reverse("seal_detail", args=[obj.pk]), _lazy("暂停/停用")
        )


site.register(Seal, SealAdmin)


class ElectronicSealAdmin(ScopedAdmin):
    """Certificates, read-only: issued and revoked through the seal's page and status
    changes. The encrypted key is never shown."""

    village_path = "seal__village"
    list_display = ("seal", "serial", "not_after", "revoked_at", "revocation_reason")
    list_filter = ("revocation_reason",)
    fields = (
        "seal",
        "serial",
        "certificate_pem",
        "not_before",
        "not_after",
        "issued_at",
        "revoked_at",
        "revocation_reason",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


site.register(ElectronicSeal, ElectronicSealAdmin)
