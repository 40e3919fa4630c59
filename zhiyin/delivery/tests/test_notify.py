"""`notify_all`: one notice to several people, their channel preferences read together."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from conftest import World
from zhiyin.delivery.models import Channel, Notification, OutboxMessage
from zhiyin.delivery.services import notification_preference_set, notify_all

pytestmark = pytest.mark.django_db


def test_it_reads_the_preferences_of_everyone_told_in_two_queries(
    world: World, settings: Any
) -> None:
    settings.STAFF_PLATFORM_WEBHOOK_URL = "http://127.0.0.1:9/robot/send"
    notification_preference_set(person=world.sn_clerk, email=False, sms=True, staff_platform=False)
    people = [world.sn_clerk, world.sn_secretary, world.sn_resident, world.sn_leader1]
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        notify_all(people=people, text="有新的待办", link="/requests/inbox/")
    sql = [q["sql"] for q in captured.captured_queries]
    assert sum('FROM "delivery_notificationpreference"' in s for s in sql) == 1
    assert sum('FROM "orgs_rolegrant"' in s for s in sql) == 1  # who of the rest is a resident
    assert Notification.objects.filter(text="有新的待办").count() == 4
    channels = set(OutboxMessage.objects.values_list("person_id", "channel"))
    assert channels == {
        (world.sn_clerk.pk, Channel.SMS),  # stored: SMS only
        (world.sn_secretary.pk, Channel.STAFF_PLATFORM),  # staff defaults
        (world.sn_leader1.pk, Channel.STAFF_PLATFORM),
        (world.sn_resident.pk, Channel.SMS),  # a resident's defaults: SMS, no staff platform
    }


def test_nobody_an_outside_channel_can_reach_costs_no_preference_read(world: World) -> None:
    world.sn_clerk.phone = ""
    world.sn_clerk.email = ""
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        notify_all(people=[world.sn_clerk], text="只在站内")
    assert not any("delivery_notificationpreference" in q["sql"] for q in captured.captured_queries)
    assert Notification.objects.filter(person=world.sn_clerk, text="只在站内").exists()
    assert not OutboxMessage.objects.exists()
