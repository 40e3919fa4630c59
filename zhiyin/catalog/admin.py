"""The catalog in the scoped admin: district admins edit, village admins only look.

Approval chains are never edited in place (a request in flight may use them): their
admin is read-only, and the "revise" page writes a new version through
`matter_chain_revise`. Matters and negative-list items are saved through the services;
their forms run the services' checks so refusals appear beside the form in Chinese.
The national negative list is read-only here: a district adds its own items.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.forms import formset_factory
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from zhiyin.catalog.models import (
    ApprovalChain,
    ChainStep,
    Matter,
    NegativeListAlias,
    NegativeListItem,
    OwnerLevel,
    TimeUnit,
)
from zhiyin.catalog.services import (
    STEP_SCOPES,
    StepSpec,
    matter_chain_revise,
    matter_clean,
    matter_create,
    matter_update,
    negative_list_alias_clean,
    negative_list_alias_save,
    negative_list_item_clean,
    negative_list_item_create,
    negative_list_item_update,
)
from zhiyin.core.errors import RuleViolation
from zhiyin.orgs.admin import site
from zhiyin.orgs.auth import request_access, request_person
from zhiyin.orgs.models import Bureau, District, Role
from zhiyin.orgs.selectors import Access
from zhiyin.seals.models import SealKind


def admin_district_ids(access: Access) -> set[int]:
    """Districts where the person is an admin, district-wide or of one village."""
    return {g.district_id for g in access.grants if g.role == Role.ADMIN}


def district_admin_ids(access: Access) -> set[int]:
    """Districts where the person is a district-wide admin (the ones who may edit)."""
    return {g.district_id for g in access.grants if g.role == Role.ADMIN and g.village_id is None}


class CatalogAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # generic over the catalog models
    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        ids = admin_district_ids(request_access(request))
        return super().get_queryset(request).filter(district_id__in=ids)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request_access(request).has_role(Role.ADMIN)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return bool(district_admin_ids(request_access(request)))

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        ids = district_admin_ids(request_access(request))
        if obj is None:
            return bool(ids)
        return getattr(obj, "district_id", None) in ids

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        ids = district_admin_ids(request_access(request))
        if db_field.name == "district":
            kwargs["queryset"] = District.objects.filter(pk__in=ids)
        elif db_field.name == "target_bureau":
            kwargs["queryset"] = Bureau.objects.filter(district_id__in=ids)
        elif db_field.name == "chain":
            kwargs["queryset"] = ApprovalChain.objects.filter(district_id__in=ids)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class LinesField(forms.CharField):
    """A list of short texts, one per line."""

    widget = forms.Textarea(attrs={"rows": 4})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return "\n".join(str(v) for v in value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]  # a list, not a str
        text = super().to_python(value) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]


class MatterForm(forms.ModelForm):  # type: ignore[type-arg]  # django-stubs generic
    seal_kinds = forms.MultipleChoiceField(
        label=_lazy("可用印章种类"), choices=SealKind.choices, widget=forms.CheckboxSelectMultiple
    )
    owner_levels = forms.MultipleChoiceField(
        label=_lazy("可用印章所属"), choices=OwnerLevel.choices, widget=forms.CheckboxSelectMultiple
    )
    required_attachments = LinesField(
        label=_lazy("必需附件"), required=False, help_text=_lazy("每行一项。")
    )

    class Meta:
        model = Matter
        fields = (
            "district",
            "code",
            "name",
            "category",
            "tier",
            "legal_basis",
            "seal_kinds",
            "owner_levels",
            "required_attachments",
            "electronic_allowed",
            "target_bureau",
            "chain",
            "is_active",
        )

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]  # stubs omit it; the instance is built there
        if self.errors:
            return
        try:
            matter_clean(self.instance)
        except RuleViolation as exc:
            self.add_error(None, exc.message)


def _steps_html(chain: ApprovalChain) -> SafeString:
    rows = [
        (
            s.position,
            s.name,
            s.get_role_display(),
            s.get_scope_level_display(),
            s.time_limit,
            s.get_time_unit_display(),
            s.approvers_needed,
        )
        for s in chain.steps.order_by("position")
    ]
    return format_html(
        "<ol>{}</ol>",
        format_html_join(
            "",
            "<li>{}. {} — {}（{}），{} {}，{} 人</li>",
            rows,
        ),
    )


@admin.register(Matter, site=site)
class MatterAdmin(CatalogAdmin):
    form = MatterForm
    list_display = ("code", "name", "category", "tier", "chain", "target_bureau", "is_active")
    list_filter = ("category", "tier", "is_active")
    search_fields = ("code", "name")
    readonly_fields = ("chain_steps",)

    @admin.display(description=_lazy("审批环节"))
    def chain_steps(self, obj: Matter) -> SafeString:
        if obj.pk is None:
            return SafeString("—")
        return _steps_html(obj.chain)

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        return ("chain_steps", "district") if obj is not None else ("chain_steps",)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            matter_update(matter=obj, by=request_person(request))
        else:
            matter_create(matter=obj, by=request_person(request))


class ChainStepInline(admin.TabularInline):  # type: ignore[type-arg]  # django-stubs generic
    model = ChainStep
    extra = 0
    fields = (
        "position",
        "name",
        "role",
        "scope_level",
        "time_limit",
        "time_unit",
        "approvers_needed",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class StepForm(forms.Form):
    name = forms.CharField(label=_lazy("环节名称"), max_length=50)
    role = forms.ChoiceField(label=_lazy("角色"), choices=[(r, Role(r).label) for r in STEP_SCOPES])
    scope_level = forms.ChoiceField(
        label=_lazy("范围"),
        choices=[("group", _lazy("村民小组")), ("village", _lazy("村")), ("district", _lazy("区"))],
    )
    time_limit = forms.IntegerField(label=_lazy("时限"), min_value=1, max_value=720)
    time_unit = forms.ChoiceField(label=_lazy("时限单位"), choices=TimeUnit.choices)
    approvers_needed = forms.IntegerField(
        label=_lazy("所需审批人数"), min_value=1, max_value=5, initial=1
    )


StepFormSet = formset_factory(StepForm, extra=1, can_delete=True, max_num=10)


@admin.register(ApprovalChain, site=site)
class ApprovalChainAdmin(CatalogAdmin):
    """Read-only; the revise page writes the next version."""

    list_display = ("name", "version", "created_at", "matter_count")
    search_fields = ("name",)
    inlines = (ChainStepInline,)
    readonly_fields = ("district", "name", "version", "created_at", "revise_link")
    fields = readonly_fields

    @admin.display(description=_lazy("在用事项数"))
    def matter_count(self, obj: ApprovalChain) -> int:
        return obj.matters.count()

    @admin.display(description=_lazy("修改"))
    def revise_link(self, obj: ApprovalChain) -> SafeString:
        url = reverse("admin:catalog_approvalchain_revise", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("修改环节（生成新版本）"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        revise = path(
            "<int:pk>/revise/",
            self.admin_site.admin_view(self.revise_view),
            name="catalog_approvalchain_revise",
        )
        return [revise, *super().get_urls()]

    def revise_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        chain = get_object_or_404(self.get_queryset(request), pk=pk)
        if not super().has_change_permission(request, chain):
            raise PermissionDenied
        if request.method == "POST":
            formset = StepFormSet(request.POST)
            if formset.is_valid():
                steps = [
                    StepSpec(**{k: v for k, v in f.cleaned_data.items() if k != "DELETE"})
                    for f in formset.forms
                    if f.cleaned_data and not f.cleaned_data.get("DELETE")
                ]
                try:
                    new = matter_chain_revise(chain=chain, steps=steps, by=request_person(request))
                except RuleViolation as exc:
                    messages.error(request, exc.message)
                else:
                    messages.success(
                        request,
                        _(
                            "已生成“%(name)s”第 %(v)d 版，在用事项已改用新版本；办理中的申请仍按原版本。"
                        )
                        % {"name": new.name, "v": new.version},
                    )
                    return HttpResponseRedirect(
                        reverse("admin:catalog_approvalchain_change", args=[new.pk])
                    )
        else:
            formset = StepFormSet(
                initial=list(
                    chain.steps.order_by("position").values(
                        "name", "role", "scope_level", "time_limit", "time_unit", "approvers_needed"
                    )
                )
            )
        context = {
            **self.admin_site.each_context(request),
            "title": _("修改审批链：%(chain)s") % {"chain": chain},
            "chain": chain,
            "formset": formset,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "catalog/admin/chain_revise.html", context)


class NegativeListItemForm(forms.ModelForm):  # type: ignore[type-arg]  # django-stubs generic
    aliases = LinesField(label=_lazy("别称"), required=False, help_text=_lazy("每行一个。"))

    class Meta:
        model = NegativeListItem
        fields = ("district", "name", "aliases", "reason", "where_instead", "source")

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]  # stubs omit it; the instance is built there
        if self.errors:
            return
        try:
            negative_list_item_clean(self.instance)
        except RuleViolation as exc:
            self.add_error(None, exc.message)


@admin.register(NegativeListItem, site=site)
class NegativeListItemAdmin(CatalogAdmin):
    form = NegativeListItemForm
    list_display = ("name", "district", "source")
    search_fields = ("name",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        ids = admin_district_ids(request_access(request))
        qs = admin.ModelAdmin.get_queryset(self, request)
        return qs.filter(district_id__in=ids) | qs.filter(district__isnull=True)

    def get_form(
        self, request: HttpRequest, obj: Any | None = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        if "district" in form.base_fields:
            form.base_fields["district"].required = True
        return form

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        return ("district",) if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            negative_list_item_update(item=obj, by=request_person(request))
        else:
            negative_list_item_create(item=obj, by=request_person(request))


class NegativeListAliasForm(forms.ModelForm):  # type: ignore[type-arg]  # django-stubs generic
    class Meta:
        model = NegativeListAlias
        fields = ("district", "item", "phrase")

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]  # stubs omit it; the instance is built there
        if self.errors:
            return
        try:
            negative_list_alias_clean(self.instance)
        except RuleViolation as exc:
            self.add_error(None, exc.message)


@admin.register(NegativeListAlias, site=site)
class NegativeListAliasAdmin(CatalogAdmin):
    """A district's own words for negative-list items, national or its own: what its
    residents say when they ask for them (see `catalog.own_words`)."""

    form = NegativeListAliasForm
    list_display = ("phrase", "item", "district", "created_at")
    list_filter = ("item",)
    search_fields = ("phrase", "item__name")

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "item":
            ids = district_admin_ids(request_access(request))
            kwargs["queryset"] = NegativeListItem.objects.filter(
                district__isnull=True
            ) | NegativeListItem.objects.filter(district_id__in=ids)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        return ("district",) if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        negative_list_alias_save(alias=obj, by=request_person(request))
