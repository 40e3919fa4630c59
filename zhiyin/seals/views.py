"""The seals registry pages: a scoped list, one seal with its history, status changes."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhiyin.orgs.errors import RuleViolation
from zhiyin.orgs.models import Person
from zhiyin.orgs.selectors import access_for
from zhiyin.seals.forms import SealStatusForm
from zhiyin.seals.selectors import seal_get_for, seal_history, seals_for
from zhiyin.seals.services import seal_reinstate, seal_retire, seal_suspend


def _person(request: HttpRequest) -> Person:
    assert isinstance(request.user, Person)  # login_required ran first
    return request.user


@login_required
def seal_list(request: HttpRequest) -> HttpResponse:
    access = access_for(_person(request))
    seals = seals_for(access=access).order_by("village__code", "kind", "code")
    return render(request, "seals/seal_list.html", {"seals": seals})


@login_required
def seal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    access = access_for(_person(request))
    seal = seal_get_for(access=access, pk=pk)
    return render(
        request,
        "seals/seal_detail.html",
        {
            "seal": seal,
            "history": seal_history(seal=seal),
            "can_manage": access.administers(seal.village),
            "form": SealStatusForm(),
        },
    )


_MOVES = {"suspend": seal_suspend, "reinstate": seal_reinstate, "retire": seal_retire}


@login_required
@require_POST
def seal_status_change(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request)
    access = access_for(person)
    seal = seal_get_for(access=access, pk=pk)
    if not access.administers(seal.village):
        raise PermissionDenied(_("只有本村或本区的系统管理员可以变更印章状态。"))
    form = SealStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择操作并填写原因。"))
        return redirect("seal_detail", pk=seal.pk)
    try:
        _MOVES[form.cleaned_data["action"]](
            seal=seal, reason=form.cleaned_data["reason"], by=person
        )
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("印章状态已更新。"))
    return redirect("seal_detail", pk=seal.pk)
