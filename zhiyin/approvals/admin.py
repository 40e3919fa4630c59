"""Seal requests in the admin: read-only and scoped. Every change goes through the
request pages or the API, which call the services."""

from __future__ import annotations

from django.db.models import Model
from django.http import HttpRequest

from zhiyin.approvals.models import SealRequest
from zhiyin.orgs.admin import ScopedAdmin, site


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
