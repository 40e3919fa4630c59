"""Rotating SEAL_KEK without downtime: with `SEAL_KEK=new,old` every stored key opens and
new keys are sealed under the new KEK; `seal_kek_rotate` re-encrypts the rest (audited);
afterwards the old KEK can go."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from conftest import World
from zhiyin.audit.models import AuditEvent
from zhiyin.lib import pki
from zhiyin.seals.keys import _signers, seal_signer
from zhiyin.seals.models import DistrictCA, ElectronicSeal, Seal, SealKind
from zhiyin.seals.rotation import key_blob_models
from zhiyin.seals.services import electronic_seal_issue, seal_register

OLD = bytes(range(32))
NEW = bytes(range(100, 132))


def _use(settings: Any, *keks: bytes) -> None:
    settings.SEAL_KEK = keks[0]
    settings.SEAL_KEKS = list(keks)
    _signers.clear()


def _collective_seal(world: World) -> Seal:
    return seal_register(
        village=world.shuinan,
        kind=SealKind.COLLECTIVE,
        collective=world.sn_collective,
        code="SN-JJ",
        by=None,
        is_electronic=True,
    )


def _blobs() -> list[bytes]:
    return [bytes(b) for b in ElectronicSeal.objects.values_list("key_blob", flat=True)] + [
        bytes(b) for b in DistrictCA.objects.values_list("key_blob", flat=True)
    ]


def test_rotation_keeps_every_key_usable_and_ends_under_the_new_kek(
    world: World, settings: Any
) -> None:
    _use(settings, OLD)
    committee = electronic_seal_issue(seal=world.sn_committee_seal, by=world.sn_admin)

    # Step 1: every process runs with new,old. The old key still opens; new keys (and the
    # CA's signature on them) use the new KEK; nothing is re-encrypted yet.
    _use(settings, NEW, OLD)
    seal_signer(committee)
    collective = electronic_seal_issue(seal=_collective_seal(world), by=world.sn_admin)
    pki.key_decrypt(bytes(collective.key_blob), NEW)
    with pytest.raises(pki.KeyBlobError):
        pki.key_decrypt(bytes(committee.key_blob), NEW)
    with pytest.raises(CommandError, match="还有 2 个私钥在旧密钥下"):  # the seal and the CA
        call_command("seal_kek_rotate", "--check")

    # Step 2: re-encrypt; each rewritten key is an audit event naming both KEKs by id.
    call_command("seal_kek_rotate")
    for blob in _blobs():
        pki.key_decrypt(blob, NEW)
    events = AuditEvent.objects.filter(action="seal_kek.rotated")
    assert events.count() == 2
    assert {e.target_type for e in events} == {"seals.electronicseal", "seals.districtca"}
    assert all(pki.kek_id(OLD) in e.after and pki.kek_id(NEW) in e.after for e in events)
    call_command("seal_kek_rotate", "--check")  # nothing left

    # Step 3: the old KEK is gone; signing and issuing go on.
    _use(settings, NEW)
    seal_signer(ElectronicSeal.objects.get(pk=committee.pk))
    electronic_seal_issue(seal=world.sn_committee_seal, by=world.sn_admin)


def test_without_the_old_kek_a_key_is_named_not_lost(world: World, settings: Any) -> None:
    _use(settings, OLD)
    electronic_seal_issue(seal=world.sn_committee_seal, by=world.sn_admin)
    _use(settings, NEW)
    with pytest.raises(CommandError, match=r"无法解密.*seals\.ElectronicSeal"):
        call_command("seal_kek_rotate")
    with pytest.raises(pki.KeyBlobError):
        seal_signer(ElectronicSeal.objects.get())
    _use(settings, NEW, OLD)
    call_command("seal_kek_rotate")
    _use(settings, NEW)
    seal_signer(ElectronicSeal.objects.get())


def test_every_stored_private_key_takes_part() -> None:
    labels = {model._meta.label for model in key_blob_models()}
    assert {"seals.ElectronicSeal", "seals.DistrictCA", "devices.DeviceCA"} <= labels


def test_kek_list_parse() -> None:
    assert pki.kek_list_parse(f"{NEW.hex()}, {OLD.hex()}\n") == [NEW, OLD]
    with pytest.raises(ValueError, match="key 2"):
        pki.kek_list_parse(f"{NEW.hex()},abcd")
    with pytest.raises(ValueError, match="listed twice"):
        pki.kek_list_parse(f"{NEW.hex()},{NEW.hex()}")
