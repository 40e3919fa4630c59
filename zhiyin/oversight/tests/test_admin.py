"""Warning rules in the admin: a district admin changes parameters through the service
(versioned, audited); bad parameters are refused beside the form; others cannot edit."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from conftest import World, client_for
from zhiyin.audit.models import AuditEvent
from zhiyin.oversight.models import WarningRule

pytestmark = pytest.mark.django_db


def _form(rule: WarningRule, **change: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": rule.name,
        "severity": rule.severity,
        "parameters": json.dumps(rule.parameters, ensure_ascii=False),
        "basis": rule.basis,
        "enabled": "on" if rule.enabled else "",
        "versions-TOTAL_FORMS": "0",
        "versions-INITIAL_FORMS": "0",
        "versions-MIN_NUM_FORMS": "0",
        "versions-MAX_NUM_FORMS": "0",
    }
    data.update(change)
    return {k: v for k, v in data.items() if v != ""}


def test_a_district_admin_changes_a_rule_into_a_new_version(world: World) -> None:
    rule = WarningRule.objects.get(code="approved_never_sealed")
    url = reverse("admin:oversight_warningrule_change", args=[rule.pk])
    client = client_for(world.district_admin)
    response = client.post(url, _form(rule, parameters='{"days": 14}'))
    assert response.status_code == 302, response.content.decode()[:2000]
    rule.refresh_from_db()
    assert rule.parameters == {"days": 14} and rule.version == 2
    assert [v.version for v in rule.versions.all()] == [1, 2]
    event = AuditEvent.objects.get(action="warning_rule.update")
    assert event.actor_id == world.district_admin.pk and '"days":14' in event.after


def test_bad_parameters_are_refused_beside_the_form(world: World) -> None:
    rule = WarningRule.objects.get(code="approved_never_sealed")
    url = reverse("admin:oversight_warningrule_change", args=[rule.pk])
    response = client_for(world.district_admin).post(url, _form(rule, parameters='{"dayz": 3}'))
    assert response.status_code == 200 and "未知的参数" in response.content.decode()
    rule.refresh_from_db()
    assert rule.version == 1


def test_only_district_admins_edit_rules(world: World) -> None:
    rule = WarningRule.objects.get(code="approved_never_sealed")
    url = reverse("admin:oversight_warningrule_change", args=[rule.pk])
    for person in (world.sn_admin, world.inspector):
        client_for(person).post(url, _form(rule, parameters='{"days": 1}'))
    rule.refresh_from_db()
    assert rule.version == 1
