"""Warning rules in the admin: district admins tune parameters, severity, basis and
on/off. Rules are never added or deleted here (their logic is code); every save goes
through `warning_rule_update`, which versions and audits the change."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from zhiyin.core.errors import RuleViolation
from zhiyin.orgs.admin import site
from zhiyin.orgs.auth import request_access, request_person
from zhiyin.orgs.models import Role
from zhiyin.oversight.models import WarningRule, WarningRuleVersion
from zhiyin.oversight.services import warning_rule_parameters_check, warning_rule_update


def _district_admin(request: HttpRequest) -> bool:
    return any(
        g.role == Role.ADMIN and g.village_id is None for g in request_access(request).grants
    )


class WarningRuleForm(forms.ModelForm):  # type: ignore[type-arg]  # WarningRule
    class Meta:
        model = WarningRule
        fields = ("name", "severity", "parameters", "basis", "enabled")

    def clean_parameters(self) -> Any:
        value = self.cleaned_data.get("parameters")
        try:
            return warning_rule_parameters_check(self.instance.code, value)
        except RuleViolation as exc:
            raise forms.ValidationError(exc.message) from exc


class WarningRuleVersionInline(admin.TabularInline):  # type: ignore[type-arg]  # versions
    model = WarningRuleVersion
    extra = 0
    can_delete = False
    fields = ("version", "changed_at", "changed_by", "snapshot")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(WarningRule, site=site)
class WarningRuleAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # WarningRule
    form = WarningRuleForm
    list_display = ("code", "name", "misuse", "severity", "enabled", "version", "updated_at")
    readonly_fields = ("code", "misuse", "version", "description")
    inlines = (WarningRuleVersionInline,)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _district_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return _district_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return _district_admin(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = form.cleaned_data
        rule = WarningRule.objects.get(pk=obj.pk)
        warning_rule_update(
            rule=rule,
            by=request_person(request),
            name=data["name"],
            severity=data["severity"],
            parameters=data["parameters"],
            basis=data["basis"],
            enabled=data["enabled"],
        )
        obj.refresh_from_db()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Versions are written by the service only."""
