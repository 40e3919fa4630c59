"""District setup in Django's admin, scoped: a village admin manages only their village.

三员分立: places, people, seals and the catalog are the system administrator's (`ADMIN`);
grants are the security administrator's (`SECURITY_ADMIN`, district-wide), who may look
people up to grant them roles but not change them, and never grants themself. The audit
administrator has no part in the admin site.

Every save goes through the services (the single write path, audited). Forms run the
services' own checks in `clean()` so a refusal shows beside the form in Chinese and
nothing is saved. Nothing is deleted: places are retired, grants revoked.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from zhiyin.core.errors import RuleViolation
from zhiyin.orgs.auth import request_access, request_person
from zhiyin.orgs.models import (
    Bureau,
    Collective,
    District,
    Person,
    Role,
    RoleGrant,
    Village,
    VillageGroup,
)
from zhiyin.orgs.selectors import (
    Access,
    access_for,
    admin_district_ids,
    security_district_ids,
    villages_administered,
)
from zhiyin.orgs.services import (
    person_create,
    person_fields_check,
    person_update,
    place_create,
    place_name_clean,
    place_rename,
    place_retire,
    role_grant_build,
    role_grant_create,
    role_grant_revoke,
)


class ZhiyinAdminSite(admin.AdminSite):
    site_header = _lazy("智印 系统管理")
    site_title = _lazy("智印 系统管理")
    index_title = _lazy("区村设置")

    def has_permission(self, request: HttpRequest) -> bool:
        access = request_access(request)
        return request.user.is_active and (access.has_role(Role.ADMIN) or access.is_security_admin)

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """One login page for everyone: the site's own. A logged-in person without an
        admin grant is refused outright (sending them to log in again would loop)."""
        if request.user.is_authenticated:
            raise PermissionDenied(_("您没有系统管理权限。"))
        return redirect_to_login(request.GET.get("next") or request.get_full_path())


site = ZhiyinAdminSite(name="admin")


class ScopedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # generic over many models
    """Visible rows are those in the admin's villages or district; nothing is ever deleted."""

    village_path = "village"
    district_wide_only = False  # only district admins may add/change (villages, bureaus)

    def scope_filter(self, qs: QuerySet[Any], access: Access) -> QuerySet[Any]:
        return qs.filter(**{f"{self.village_path}__in": villages_administered(access=access)})

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return self.scope_filter(super().get_queryset(request), request_access(request)).distinct()

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request_access(request).has_role(Role.ADMIN)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        if self.district_wide_only:
            return request_access(request).is_district_admin
        return self.has_module_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self.has_add_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class PlaceForm(ModelForm):  # type: ignore[type-arg]  # shared by several place models
    def clean_name(self) -> str:
        try:
            return place_name_clean(self.cleaned_data.get("name", ""))
        except RuleViolation as exc:
            raise forms.ValidationError(exc.message) from exc


class PlaceAdmin(ScopedAdmin):
    form = PlaceForm
    actions = ("retire_selected",)
    readonly_fields = ("created_at", "retired_at")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        by = request_person(request)
        if not change:
            place_create(place=obj, by=by)
        elif "name" in form.changed_data:
            # The form has already written the new name onto `obj`; rename the stored row
            # so the record keeps the true "before".
            place_rename(place=type(obj).objects.get(pk=obj.pk), name=obj.name, by=by)

    @admin.action(description=_lazy("撤销所选单位（保留历史）"))
    def retire_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        done = 0
        for place in queryset:
            try:
                place_retire(place=place, by=request_person(request))
                done += 1
            except RuleViolation as exc:
                self.message_user(request, f"{place}：{exc.message}", messages.ERROR)
        if done:
            self.message_user(request, _("已撤销 %(n)d 个单位。") % {"n": done}, messages.SUCCESS)

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        """The parent of an existing place is fixed: moving it would rewrite history."""
        parents = [
            f
            for f in ("district", "village", "number", "code")
            if obj is not None and hasattr(obj, f)
        ]
        return (*self.readonly_fields, *parents)


@admin.register(District, site=site)
class DistrictAdmin(PlaceAdmin):
    list_display = ("name", "code", "is_active")
    district_wide_only = True

    def scope_filter(self, qs: QuerySet[Any], access: Access) -> QuerySet[Any]:
        return qs.filter(pk__in=[g.district_id for g in access.grants if g.role == Role.ADMIN])

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Village, site=site)
class VillageAdmin(PlaceAdmin):
    list_display = ("name", "code", "kind", "office_phone", "is_active")
    search_fields = ("name", "code")
    district_wide_only = True

    def scope_filter(self, qs: QuerySet[Any], access: Access) -> QuerySet[Any]:
        return qs.filter(pk__in=villages_administered(access=access))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "district":
            kwargs["queryset"] = District.objects.filter(
                pk__in=admin_district_ids(access=request_access(request))
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def admin_villages(request: HttpRequest) -> QuerySet[Village]:
    return villages_administered(access=request_access(request))


class VillageChildAdmin(PlaceAdmin):
    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "village":
            kwargs["queryset"] = admin_villages(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(VillageGroup, site=site)
class VillageGroupAdmin(VillageChildAdmin):
    list_display = ("__str__", "number", "is_active")
    list_select_related = ("village",)
    search_fields = ("name", "village__name")


@admin.register(Collective, site=site)
class CollectiveAdmin(VillageChildAdmin):
    list_display = ("name", "village", "is_active")


@admin.register(Bureau, site=site)
class BureauAdmin(PlaceAdmin):
    list_display = ("name", "district", "is_active")
    district_wide_only = True

    def scope_filter(self, qs: QuerySet[Any], access: Access) -> QuerySet[Any]:
        return qs.filter(district_id__in=admin_district_ids(access=access))


class PersonForm(ModelForm):  # type: ignore[type-arg]  # Person
    password = forms.CharField(
        label=_lazy("初始密码"),
        required=False,
        strip=False,
        widget=forms.PasswordInput,
        help_text=_lazy("留空则只能用其他方式登录（如手机验证码）。"),
    )

    class Meta:
        model = Person
        fields = (
            "username",
            "real_name",
            "phone",
            "id_number",
            "social_security_number",
            "home_village",
            "home_group",
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            person_fields_check(
                phone=data.get("phone"),
                id_number=(data.get("id_number") or "").upper() or None,
                home_village=data.get("home_village"),
                home_group=data.get("home_group"),
                exclude_pk=self.instance.pk,
            )
        except RuleViolation as exc:
            raise forms.ValidationError(exc.message) from exc
        return data


@admin.register(Person, site=site)
class PersonAdmin(ScopedAdmin):
    form = PersonForm
    # Lists show phone and ID numbers masked (个人信息保护法); a person's own page shows
    # the phone, which the admin edits there.
    list_display = ("username", "real_name", "phone_display", "id_number_masked", "home_village")
    search_fields = ("username", "real_name", "phone")
    list_select_related = ("home_village",)

    @admin.display(description=_lazy("手机号"), ordering="phone")
    def phone_display(self, obj: Person) -> str:
        return obj.phone_masked

    def scope_filter(self, qs: QuerySet[Any], access: Access) -> QuerySet[Any]:
        """Residents of the admin's villages and anyone holding a grant there; for a
        security admin, everyone of their districts (whom they may grant roles)."""
        villages = villages_administered(access=access) | Village.objects.filter(
            district_id__in=security_district_ids(access=access)
        )
        districts = admin_district_ids(access=access) | security_district_ids(access=access)
        return (
            qs.filter(home_village__in=villages)
            | qs.filter(grants__village__in=villages, grants__revoked_at__isnull=True)
            | qs.filter(grants__district_id__in=districts, grants__village__isnull=True)
        )

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        """The security admin looks people up (to grant them roles), never changes them."""
        access = request_access(request)
        return access.has_role(Role.ADMIN) or access.is_security_admin

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request_access(request).has_role(Role.ADMIN)

    def get_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        if obj is None:
            return (
                "username",
                "real_name",
                "password",
                "phone",
                "id_number",
                "social_security_number",
                "home_village",
                "home_group",
            )
        return ("username", "real_name", "phone", "id_number_masked", "home_village", "home_group")

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        return ("username", "id_number_masked") if obj is not None else ()

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "home_village":
            kwargs["queryset"] = admin_villages(request)
        if db_field.name == "home_group":
            kwargs["queryset"] = VillageGroup.objects.filter(village__in=admin_villages(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        by = request_person(request)
        data = form.cleaned_data
        if change:
            person_update(
                person=obj,
                by=by,
                real_name=data["real_name"],
                phone=data.get("phone"),
                home_village=data.get("home_village"),
                home_group=data.get("home_group"),
            )
            return
        created = person_create(
            username=data["username"],
            real_name=data["real_name"],
            password=data.get("password") or None,
            by=by,
            phone=data.get("phone"),
            id_number=data.get("id_number"),
            social_security_number=data.get("social_security_number", ""),
            home_village=data.get("home_village"),
            home_group=data.get("home_group"),
        )
        obj.pk = created.pk


class RoleGrantForm(ModelForm):  # type: ignore[type-arg]  # RoleGrant
    class Meta:
        model = RoleGrant
        fields = ("person", "role", "district", "village", "group", "bureau")

    admin_access: Access = access_for(None)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("person") is None or not data.get("role"):
            return data
        districts = security_district_ids(access=self.admin_access)
        place = data.get("group") or data.get("village") or data.get("bureau")
        district_id = getattr(place, "district_id", None) or getattr(
            getattr(place, "village", None), "district_id", None
        )
        if district_id is None and data.get("district") is not None:
            district_id = data["district"].pk
        if district_id is None or district_id not in districts:
            raise forms.ValidationError(_("您只能在自己负责的区范围内授权。"))
        if data["person"].pk == self.admin_access.person_id:
            raise forms.ValidationError(_("不能给自己授权，请由另一位安全管理员办理。"))
        try:
            role_grant_build(
                person=data["person"],
                role=data["role"],
                district=data.get("district"),
                village=data.get("village"),
                group=data.get("group"),
                bureau=data.get("bureau"),
            )
        except RuleViolation as exc:
            raise forms.ValidationError(exc.message) from exc
        return data


@admin.register(RoleGrant, site=site)
class RoleGrantAdmin(ScopedAdmin):
    form = RoleGrantForm
    list_display = ("person", "role", "scope_name", "granted_at", "revoked_at")
    list_filter = ("role",)
    search_fields = ("person__real_name", "person__username")
    list_select_related = ("person", "district", "village", "group__village", "bureau")
    autocomplete_fields = ("person",)
    actions = ("revoke_selected",)

    def scope_filter(self, qs: QuerySet[Any], access: Access) -> QuerySet[Any]:
        return qs.filter(district_id__in=security_district_ids(access=access))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request_access(request).is_security_admin

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return obj is None and self.has_module_permission(request)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"admin_access": request_access(request)})

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        districts = security_district_ids(access=request_access(request))
        if db_field.name == "village":
            kwargs["queryset"] = Village.objects.filter(district_id__in=districts)
        elif db_field.name == "group":
            kwargs["queryset"] = VillageGroup.objects.filter(village__district_id__in=districts)
        elif db_field.name == "district":
            kwargs["queryset"] = District.objects.filter(pk__in=districts)
        elif db_field.name == "bureau":
            kwargs["queryset"] = Bureau.objects.filter(district_id__in=districts)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = form.cleaned_data
        created = role_grant_create(
            person=data["person"],
            role=data["role"],
            by=request_person(request),
            district=data.get("district"),
            village=data.get("village"),
            group=data.get("group"),
            bureau=data.get("bureau"),
        )
        obj.pk = created.pk

    @admin.action(description=_lazy("撤销所选授权"))
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for grant in queryset.filter(revoked_at__isnull=True):
            role_grant_revoke(grant=grant, by=request_person(request))
        self.message_user(request, _("已撤销所选授权。"), messages.SUCCESS)
