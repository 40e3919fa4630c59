"""Delivery in the scoped admin: district admins register bureau endpoints, watch every
attempt, see failed deliveries (the warning page) and replay them. Village admins see
nothing here: bureaus belong to the district. Writes go through the services.

Registered by `orgs` (in its `ready`) rather than by `delivery`: only the domain knows who
is a district admin, and delivery imports no domain app."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext_lazy as _lazy

from zhiyin.core.errors import RuleViolation
from zhiyin.delivery.models import BureauEndpoint, Delivery, DeliveryAttempt, OutboxMessage
from zhiyin.delivery.rotation import endpoint_secret_rotate
from zhiyin.delivery.services import delivery_replay, endpoint_register, endpoint_update
from zhiyin.delivery.transport import target_resolve
from zhiyin.orgs.admin import ScopedAdmin, site
from zhiyin.orgs.auth import request_access, request_person
from zhiyin.orgs.models import Bureau, Role
from zhiyin.orgs.selectors import Access, admin_district_ids


class DistrictScopedAdmin(ScopedAdmin):
    """Rows of bureaus in the admin's districts; district admins only."""

    bureau_path = "bureau"
    district_wide_only = True

    def scope_filter(self, qs: QuerySet[Any], access: Access) -> QuerySet[Any]:
        return qs.filter(
            **{f"{self.bureau_path}__district_id__in": admin_district_ids(access=access)}
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request_access(request).is_district_admin


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class EndpointForm(ModelForm):  # type: ignore[type-arg]  # BureauEndpoint
    url = forms.URLField(label=_lazy("接收地址"), max_length=500, assume_scheme="https")
    event_types_text = forms.CharField(
        label=_lazy("订阅事件（逗号分隔，留空为全部）"), required=False
    )

    class Meta:
        model = BureauEndpoint
        fields = ("bureau", "url", "inline_pdf", "allow_private", "active", "description")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["event_types_text"].initial = ",".join(self.instance.event_types)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        url = data.get("url")
        if url:
            try:
                target_resolve(url, allow_private=bool(data.get("allow_private")))
            except RuleViolation as exc:
                raise forms.ValidationError(exc.message) from exc
        return data


@admin.register(BureauEndpoint, site=site)
class BureauEndpointAdmin(DistrictScopedAdmin):
    form = EndpointForm
    list_display = ("bureau", "url", "active", "inline_pdf", "allow_private", "disabled_reason")
    list_filter = ("active",)
    readonly_fields = (
        "secret",
        "previous_secret_until",
        "created_at",
        "failing_since",
        "disabled_at",
        "disabled_reason",
    )
    exclude = ("previous_secret",)
    actions = ("rotate_secret",)

    @admin.action(description=gettext_lazy("轮换签名密钥（旧密钥再并用 7 天）"))
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[BureauEndpoint]) -> None:
        for endpoint in queryset:
            try:
                rotated = endpoint_secret_rotate(endpoint=endpoint, by=request_person(request))
            except RuleViolation as exc:
                self.message_user(request, f"{endpoint}：{exc.message}", messages.ERROR)
                continue
            until = timezone.localtime(rotated.previous_secret_until)
            self.message_user(
                request,
                gettext(
                    "%(endpoint)s 的新签名密钥（只显示这一次，请交给职能部门）：%(secret)s；旧密钥有效至 %(until)s。"
                )
                % {
                    "endpoint": rotated,
                    "secret": rotated.secret,
                    "until": f"{until:%Y-%m-%d %H:%M}",
                },
                messages.WARNING,
            )

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "bureau":
            kwargs["queryset"] = Bureau.objects.filter(
                district_id__in=admin_district_ids(access=request_access(request))
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        events = [e for e in form.cleaned_data.get("event_types_text", "").split(",") if e]
        by = request_person(request)
        if not change:
            created = endpoint_register(
                bureau=obj.bureau,
                url=obj.url,
                by=by,
                event_types=events,
                inline_pdf=obj.inline_pdf,
                allow_private=obj.allow_private,
                description=obj.description,
            )
            obj.pk = created.pk
            return
        endpoint_update(
            endpoint=BureauEndpoint.objects.get(pk=obj.pk),
            by=by,
            url=obj.url,
            event_types=events,
            active=obj.active,
            inline_pdf=obj.inline_pdf,
            allow_private=obj.allow_private,
        )


class AttemptInline(admin.TabularInline):  # type: ignore[type-arg]  # DeliveryAttempt
    model = DeliveryAttempt
    fields = (
        "number",
        "started_at",
        "status_code",
        "latency_ms",
        "success",
        "error",
        "response_excerpt",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Delivery, site=site)
class DeliveryAdmin(ReadOnlyMixin, DistrictScopedAdmin):
    list_display = ("webhook_id", "title", "bureau", "status", "created_at", "delivered_at")
    list_filter = ("status", "event_type")
    search_fields = ("webhook_id", "title", "source_id")
    readonly_fields = (
        "webhook_id", "bureau", "event_type", "title", "payload", "document_path",
        "document_sha256", "document_size", "source_type", "source_id", "status",
        "created_at", "delivered_at",
    )  # fmt: skip
    actions = ("replay_selected",)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    @admin.action(description=_lazy("重新推送所选（同一消息编号）"))
    def replay_selected(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        count = 0
        for delivery in queryset:
            try:
                count += delivery_replay(
                    delivery=delivery, by=request_person(request), role=Role.ADMIN
                )
            except RuleViolation as exc:
                self.message_user(request, f"{delivery}：{exc.message}", messages.ERROR)
        self.message_user(request, _lazy("已重新排队 %(n)d 条推送。") % {"n": count})


@admin.register(OutboxMessage, site=site)
class OutboxMessageAdmin(ReadOnlyMixin, DistrictScopedAdmin):
    """Every outbox message with its attempts; filter 失败 for the warning list."""

    bureau_path = "delivery__bureau"
    list_display = (
        "pk",
        "channel",
        "delivery",
        "endpoint",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
    )
    list_filter = ("status", "channel")
    inlines = (AttemptInline,)
    readonly_fields = (
        "channel", "delivery", "endpoint", "status", "attempts", "next_attempt_at",
        "claimed_by", "claimed_until", "last_error", "created_at", "finished_at",
    )  # fmt: skip
    exclude = ("person", "text", "link", "event")
