from __future__ import annotations

import pytest

from conftest import World
from zhiyin.audit.models import AuditEvent
from zhiyin.core.errors import RuleViolation
from zhiyin.seals.models import SealKind, SealStatus
from zhiyin.seals.services import seal_register, seal_reinstate, seal_retire, seal_suspend

pytestmark = pytest.mark.django_db


def test_it_names_seals_after_their_owner(world: World) -> None:
    party = seal_register(village=world.shuinan, kind=SealKind.PARTY, code="SN-DZ", by=None)
    collective = seal_register(
        village=world.shuinan,
        kind=SealKind.COLLECTIVE,
        collective=world.sn_collective,
        code="SN-JJ",
        by=None,
    )
    cert = seal_register(
        village=world.shuinan, kind=SealKind.CERTIFICATE, code="SN-ZM", by=None, is_electronic=True
    )
    assert party.name == "中共崖州区水南村支部委员会"
    assert collective.name == "水南村股份经济合作联合社"
    assert (
        cert.name == "水南村村民委员会" and cert.purpose == "证明专用章" and cert.diameter_mm == 40
    )
    assert world.sn_committee_seal.diameter_mm == 42 and world.sn_committee_seal.purpose == ""


def test_the_lifecycle_moves_and_records_each_step(world: World) -> None:
    seal = world.sn_committee_seal
    seal = seal_suspend(seal=seal, reason="管理员交接", by=world.sn_admin)
    assert seal.status == SealStatus.SUSPENDED
    seal = seal_reinstate(seal=seal, reason="交接完成", by=world.sn_admin)
    seal = seal_retire(seal=seal, reason="更换新章", by=world.sn_admin)
    assert seal.status == SealStatus.RETIRED
    actions = list(
        AuditEvent.objects.filter(target_id=str(seal.pk), target_type="seals.seal").values_list(
            "action", flat=True
        )
    )
    assert actions == ["seal.register", "seal.suspend", "seal.reinstate", "seal.retire"]


def test_a_retired_seal_never_comes_back(world: World) -> None:
    seal = seal_retire(seal=world.sn_committee_seal, reason="更换新章", by=None)
    with pytest.raises(RuleViolation, match="已停用"):
        seal_reinstate(seal=seal, reason="想恢复", by=None)
    with pytest.raises(RuleViolation):
        seal_suspend(seal=seal, reason="x", by=None)


def test_it_needs_a_reason(world: World) -> None:
    with pytest.raises(RuleViolation, match="请说明原因"):
        seal_suspend(seal=world.sn_committee_seal, reason="  ", by=None)
    world.sn_committee_seal.refresh_from_db()
    assert world.sn_committee_seal.status == SealStatus.ACTIVE


def test_it_refuses_an_owner_from_another_village(world: World) -> None:
    with pytest.raises(RuleViolation, match="不属于该村"):
        seal_register(
            village=world.shuinan, kind=SealKind.GROUP, group=world.bl_group1, code="X", by=None
        )
