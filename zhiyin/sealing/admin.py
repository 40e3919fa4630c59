"""Sealed documents in the admin: read-only and scoped. Sealing happens on the
custodian's page, which calls the service; files are downloaded there (and recorded)."""

from __future__ import annotations

from django.db.models import Model
from django.http import HttpRequest

from zhiyin.orgs.admin import ScopedAdmin, site
from zhiyin.sealing.models import SealedDocument


class SealedDocumentAdmin(ScopedAdmin):
    village_path = "request__village"
    list_display = ("number", "matter_name", "organization_name", "sealed_at", "signatures")
    search_fields = ("number", "sha256")
    readonly_fields = tuple(f.name for f in SealedDocument._meta.fields if f.name != "file")
    exclude = ("file",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


site.register(SealedDocument, SealedDocumentAdmin)
