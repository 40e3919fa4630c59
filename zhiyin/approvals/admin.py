"""Seal requests in the admin: read-only and scoped. Every change goes through the
request pages or the API, which call the services. The district's holiday calendar is
entered here (through its service)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from zhiyin.approvals.calendar_years import calendar_dates_check, calendar_year_save
from zhiyin.approvals.models import CalendarYear, SealRequest
from zhiyin.core.errors import RuleViolation
from zhiyin.orgs.admin import ScopedAdmin, site
from zhiyin.orgs.auth import request_access, request_person
from zhiyin.orgs.models import District
from zhiyin.orgs.selectors import Access, admin_district_ids


class SealRequestAdmin(ScopedAdmin):
    list_display = ("number", "matter", "village", "status", "applicant", "created_at")
    list_filter = ("status",)
    search_fields = ("number", "purpose")
    readonly_fields = tuple(f.name for f in SealRequest._meta.fields)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


site.register(SealRequest, SealRequestAdmin)


class CalendarYearForm(forms.ModelForm):  # type: ignore[type-arg]  # ModelForm is generic in stubs
    class Meta:
        model = CalendarYear
        fields = ("district", "year", "holidays", "workdays")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        year = data.get("year")
        if year:
            try:
                calendar_dates_check(
                    year=int(year),
                    holidays=data.get("holidays", ""),
                    workdays=data.get("workdays", ""),
                )
            except RuleViolation as exc:
                raise forms.ValidationError(exc.message) from exc
        return data


class CalendarYearAdmin(ScopedAdmin):
    """The district's holiday calendar: for a year the calendar package does not know
    yet, the admin types in the State Council's notice, and deadlines follow it."""

    form = CalendarYearForm
    list_display = ("year", "district", "updated_at")
    district_wide_only = True

    def scope_filter(self, qs: QuerySet[Any], access: Access) -> QuerySet[Any]:
        return qs.filter(district_id__in=admin_district_ids(access=access))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "district":
            kwargs["queryset"] = District.objects.filter(
                pk__in=admin_district_ids(access=request_access(request))
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        saved = calendar_year_save(
            district=obj.district,
            year=obj.year,
            holidays=obj.holidays,
            workdays=obj.workdays,
            by=request_person(request),
        )
        obj.pk = saved.pk


site.register(CalendarYear, CalendarYearAdmin)
