"""Admin views of the portal: the register, services and applications are read here
(they change only through the import page and the services); a district admin sets
whether progress pages name officials."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from zhiyin.core.errors import RuleViolation
from zhiyin.orgs.admin import ScopedAdmin, site
from zhiyin.orgs.auth import request_access
from zhiyin.orgs.models import Person
from zhiyin.orgs.selectors import Access, admin_district_ids
from zhiyin.portal.models import Application, PortalSettings, RegisterEntry, Service
from zhiyin.portal.services.district import portal_settings_update


class ReadOnlyAdmin(ScopedAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class DistrictScoped(ReadOnlyAdmin):
    def scope_filter(self, qs: QuerySet[Any], access: Access) -> QuerySet[Any]:
        return qs.filter(district_id__in=admin_district_ids(access=access))


class RegisterEntryAdmin(DistrictScoped):
    list_display = ("real_name", "village", "group", "imported_at")
    search_fields = ("real_name",)
    exclude = ("id_number",)


class ServiceAdmin(DistrictScoped):
    list_display = ("name", "kind", "matter", "is_active")


class ApplicationAdmin(ReadOnlyAdmin):
    list_display = ("number", "service", "village", "status", "amount", "created_at")
    list_filter = ("status",)
    exclude = ("answers",)


class PortalSettingsAdmin(ScopedAdmin):
    district_wide_only = True

    def scope_filter(self, qs: QuerySet[Any], access: Access) -> QuerySet[Any]:
        return qs.filter(district_id__in=admin_district_ids(access=access))

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        assert isinstance(request.user, Person)  # the admin site requires a login
        access = request_access(request)
        if obj.district_id not in admin_district_ids(access=access):
            messages.error(request, _("只能修改本区的设置。"))
            return
        try:
            portal_settings_update(
                district=obj.district, show_official_names=obj.show_official_names, by=request.user
            )
        except RuleViolation as exc:
            messages.error(request, exc.message)


site.register(RegisterEntry, RegisterEntryAdmin)
site.register(Service, ServiceAdmin)
site.register(Application, ApplicationAdmin)
site.register(PortalSettings, PortalSettingsAdmin)
