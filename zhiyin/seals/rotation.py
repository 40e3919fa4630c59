"""Rotating the key-encryption key (`SEAL_KEK`) without stopping the service.

1. Configure `SEAL_KEK=<new>,<old>` on every process (a rolling restart): new keys are
   sealed under the new KEK, and every stored key still opens under either.
2. `manage.py seal_kek_rotate` re-encrypts every stored private key that is not yet under
   the new KEK — electronic seals, the district CA, the device CA: every model field named
   `key_blob` (a `BinaryField` holding `pki.key_encrypt` output; the convention is how an
   app's keys join the rotation without this module importing it). Rows are locked and
   rewritten in small transactions, each with its audit event, so sealing goes on meanwhile.
3. When `seal_kek_rotate --check` reports nothing left under the old key, remove it from
   `SEAL_KEK` (another rolling restart) and destroy it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction

from zhiyin.audit.services import audit_record
from zhiyin.lib import pki
from zhiyin.seals.keys import seal_keks

_BATCH = 100


@dataclass
class RotationReport:
    """Per table: how many keys were already under the current KEK, how many were (or,
    in a check, would be) re-encrypted, and the rows whose key no configured KEK opens."""

    current: dict[str, int] = field(default_factory=dict)
    rotated: dict[str, int] = field(default_factory=dict)
    unreadable: dict[str, list[int]] = field(default_factory=dict)

    @property
    def pending(self) -> int:
        return sum(self.rotated.values())


def key_blob_models() -> list[type[models.Model]]:
    """Every model that stores an encrypted private key in a `key_blob` field."""
    found = []
    for model in apps.get_models():
        try:
            blob = model._meta.get_field("key_blob")
        except FieldDoesNotExist:
            continue
        if isinstance(blob, models.BinaryField):
            found.append(model)
    return found


def kek_rotate(*, check_only: bool = False) -> RotationReport:
    """Re-encrypt every stored private key under the current KEK (`check_only`: count)."""
    keks = seal_keks()
    current, report = keks[0], RotationReport()
    for model in key_blob_models():
        label = model._meta.label
        report.current[label] = report.rotated[label] = 0
        ids = list(model._base_manager.order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(ids), _BATCH):
            with transaction.atomic():
                rows = model._base_manager.select_for_update().filter(
                    pk__in=ids[start : start + _BATCH]
                )
                for row in rows.order_by("pk"):
                    blob = bytes(getattr(row, "key_blob"))  # noqa: B009  # any model's key_blob
                    try:
                        key, position = pki.key_decrypt_any(blob, keks)
                    except pki.KeyBlobError:
                        report.unreadable.setdefault(label, []).append(row.pk)
                        continue
                    if position == 0:
                        report.current[label] += 1
                        continue
                    report.rotated[label] += 1
                    if check_only:
                        continue
                    model._base_manager.filter(pk=row.pk).update(
                        key_blob=pki.key_encrypt(key, current)
                    )
                    audit_record(
                        actor=None,
                        action="seal_kek.rotated",
                        target=row,
                        after={
                            "table": model._meta.db_table,
                            "from_kek": pki.kek_id(keks[position]),
                            "to_kek": pki.kek_id(current),
                        },
                    )
    return report
