"""Backup → restore on a new machine (another database and another document folder, in a
child process with only the keys in common) → the audit chain checks out; a tampered
backup is refused before anything changes.

Runs on the database of the suite: on PostgreSQL the restore goes into a second database
of this test's own (`<test database>_restore`), on SQLite into a new file.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from zhiyin.approvals.models import RequestDocument
from zhiyin.audit.models import AuditEvent, Checkpoint
from zhiyin.audit.services import checkpoints_create
from zhiyin.audit.signing import signing_key
from zhiyin.backup.crypto import current_keys
from zhiyin.backup.restore import backup_check
from zhiyin.backup.snapshot import MANIFEST
from zhiyin.sealing.models import SealedDocument
from zhiyin.sealing.services import document_seal
from zhiyin.sealing.tests.conftest import Sealing, approved_request, pdf_document
from zhiyin.seals.models import ElectronicSeal

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.PUBLIC_BASE_URL = "https://zhiyin.example.gov.cn"


@pytest.fixture
def backed_up(sealing: Sealing, tmp_path: Path) -> Path:
    """A district with electronic seals, a request with an uploaded PDF, a sealed document
    and a signed checkpoint per log, backed up with `manage.py backup`."""
    world = sealing.world
    request = approved_request(
        sealing, sealing.contract_matter, documents=[pdf_document("Contract 2026")]
    )
    document_seal(request=request, seals=[world.sn_committee_seal], by=world.sn_custodian1)
    checkpoints_create()
    out = tmp_path / "backup"
    call_command("backup", out=str(out))
    return out


@dataclass
class Target:
    """A new machine: its own database and document folder, the same keys."""

    url: str
    media: Path
    sqlite_path: Path | None
    pg_name: str | None

    def env(self) -> dict[str, str]:
        pem = (
            signing_key()
            .private.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            .decode()
        )
        return {
            **os.environ,
            "DATABASE_URL": self.url,
            "DB_POOL": "false",
            "MEDIA_ROOT": str(self.media),
            "SECRET_KEY": str(settings.SECRET_KEY),
            "SEAL_KEK": bytes(settings.SEAL_KEK).hex(),
            "AUDIT_SIGNING_KEY": pem,
            "AUDIT_LOG_ORIGIN": str(settings.AUDIT_LOG_ORIGIN),
        }

    def manage(self, *argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", *argv],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        if self.sqlite_path is not None:
            with sqlite3.connect(self.sqlite_path) as db:
                return [tuple(row) for row in db.execute(sql)]
        with psycopg.connect(**_pg_params(self.pg_name)) as db:
            return [tuple(row) for row in db.execute(sql.encode())]


def _pg_params(name: str | None) -> dict[str, Any]:
    db = connection.settings_dict
    return {
        "dbname": name,
        "user": db.get("USER") or "postgres",
        "password": db.get("PASSWORD") or None,
        "host": db.get("HOST") or "127.0.0.1",
        "port": db.get("PORT") or 5432,
        "autocommit": True,
    }


@pytest.fixture
def target(tmp_path: Path) -> Iterator[Target]:
    media = tmp_path / "restored-media"
    if connection.vendor == "sqlite":
        path = tmp_path / "restored.sqlite3"
        yield Target(url=f"sqlite:///{path}", media=media, sqlite_path=path, pg_name=None)
        return
    own = str(connection.settings_dict["NAME"])
    name = f"{own}_restore"
    # CREATE/DROP DATABASE from a connection to this test's own database.
    with psycopg.connect(**_pg_params(own)) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"'.encode())
        admin.execute(f'CREATE DATABASE "{name}"'.encode())
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    url = f"postgres://{user}{password}@{host}:{port}/{name}"
    try:
        yield Target(url=url, media=media, sqlite_path=None, pg_name=name)
    finally:
        with psycopg.connect(**_pg_params(own)) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())


def _manifest(backup: Path) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((backup / MANIFEST).read_text(encoding="utf-8"))
    return manifest


def test_a_backup_restores_on_a_new_machine_and_its_audit_log_checks_out(
    backed_up: Path, target: Target
) -> None:
    manifest = _manifest(backed_up)
    sealed = SealedDocument.objects.get()
    # Everything in the backup is encrypted: no resident's name, no PDF in the clear.
    for path in backed_up.rglob("*"):
        if path.is_file() and path.name != MANIFEST:
            data = path.read_bytes()
            assert data.startswith(b"ZYB1")
            assert b"%PDF" not in data and "阿梅".encode() not in data

    result = target.manage("restore", str(backed_up))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "恢复完成" in result.stdout
    assert "district/" in result.stdout and "完好" in result.stdout

    # Every row, every key blob and every event came back as it was.
    for table in manifest["tables"]:
        [(count,)] = target.query(f'SELECT COUNT(*) FROM "{table["table"]}"')  # noqa: S608  # table names from the schema
        assert count == table["rows"], table["table"]
    events = [
        tuple(row)
        for row in AuditEvent.objects.order_by("log", "seq").values_list("log", "seq", "hash")
    ]
    assert target.query("SELECT log, seq, hash FROM audit_auditevent ORDER BY log, seq") == events
    blobs = [
        bytes(blob)
        for blob in ElectronicSeal.objects.order_by("id").values_list("key_blob", flat=True)
    ]
    assert [
        bytes(row[0])
        for row in target.query("SELECT key_blob FROM seals_electronicseal ORDER BY id")
    ] == blobs
    notes = list(Checkpoint.objects.order_by("id").values_list("note", flat=True))
    assert [
        row[0] for row in target.query("SELECT note FROM audit_checkpoint ORDER BY id")
    ] == notes

    # The documents are there under their names, byte for byte.
    for name in (sealed.file.name, RequestDocument.objects.get().file.name):
        assert (target.media / name).read_bytes() == (Path(settings.MEDIA_ROOT) / name).read_bytes()

    # The restored installation goes on: new ids follow the old ones (sequences were set),
    # new events chain onto the restored ones, and the seal keys open under the same KEK.
    script = (
        "from django.core.management import call_command\n"
        "from zhiyin.audit.services import audit_record_standalone, checkpoints_create\n"
        "from zhiyin.seals.models import ElectronicSeal\n"
        "from zhiyin.seals.keys import seal_signer\n"
        "event = audit_record_standalone(actor=None, action='restore.checked')\n"
        "checkpoints_create()\n"
        "print('event', event.pk)\n"
        "for seal in ElectronicSeal.objects.all():\n"
        "    seal_signer(seal)\n"
        "call_command('audit_verify')\n"
    )
    after = target.manage("shell", "-c", script)
    assert after.returncode == 0, after.stdout + after.stderr
    new_id = int(after.stdout.split("event ", 1)[1].split()[0])
    assert new_id > max(AuditEvent.objects.values_list("id", flat=True))
    assert "NOT intact" not in after.stdout and after.stdout.count("intact") >= 2


def _refused(backup: Path, message: str) -> None:
    people = AuditEvent.objects.count()
    with pytest.raises(CommandError, match=message):
        call_command("restore", str(backup))
    assert AuditEvent.objects.count() == people


def test_a_changed_file_is_refused(backed_up: Path) -> None:
    manifest = _manifest(backed_up)
    media = next(name for name in manifest["files"] if name.startswith("media/"))
    path = backed_up / media
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x01
    path.write_bytes(bytes(data))
    _refused(backed_up, f"备份文件 {media} 与清单不符：它被改动过。未做任何更改。")


def test_a_missing_file_is_refused(backed_up: Path) -> None:
    manifest = _manifest(backed_up)
    media = next(name for name in manifest["files"] if name.startswith("media/"))
    (backed_up / media).unlink()
    _refused(backed_up, f"备份缺少文件 {media}：备份不完整")


def test_an_added_file_is_refused(backed_up: Path) -> None:
    (backed_up / "media" / "extra.pdf").write_bytes(b"%PDF-1.7 planted")
    _refused(backed_up, "清单之外的文件 media/extra.pdf")


def test_a_changed_row_is_refused_even_with_the_manifest_hash_redone(backed_up: Path) -> None:
    """Someone with the files (and even the data key) changes a seal holder's name and
    writes the new SHA-256 into the manifest: the manifest's HMAC no longer fits."""
    manifest = _manifest(backed_up)
    keys = current_keys()
    relative = next(name for name in manifest["files"] if name.startswith("database/orgs_person."))
    text = gzip.decompress(keys.open((backed_up / relative).read_bytes(), relative)).decode()
    assert "阿梅" in text
    blob = keys.seal(gzip.compress(text.replace("阿梅", "阿兰").encode()), relative)
    (backed_up / relative).write_bytes(blob)
    manifest["files"][relative] = {"sha256": hashlib.sha256(blob).hexdigest(), "size": len(blob)}
    (backed_up / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    _refused(backed_up, "备份清单的校验码不符：清单被改动过。未做任何更改。")


def test_a_changed_row_without_the_key_is_refused(backed_up: Path) -> None:
    manifest = _manifest(backed_up)
    relative = next(
        name for name in manifest["files"] if name.startswith("database/audit_auditevent.")
    )
    path = backed_up / relative
    data = bytearray(path.read_bytes())
    data[40] ^= 0x01
    path.write_bytes(bytes(data))
    _refused(backed_up, f"备份文件 {relative} 与清单不符")


def test_another_kek_is_refused(backed_up: Path, settings: Any) -> None:
    settings.SEAL_KEK = bytes(32)
    settings.SEAL_KEKS = [bytes(32)]
    _refused(backed_up, "本机配置的 SEAL_KEK 中没有这份备份所用的密钥")


def test_a_database_that_holds_data_is_refused(backed_up: Path) -> None:
    _refused(backed_up, "目标数据库.*恢复只写入新建的空数据库")


def test_backup_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    out = tmp_path / "full"
    out.mkdir()
    (out / "x").write_text("x")
    with pytest.raises(CommandError, match="已存在且不是空的"):
        call_command("backup", out=str(out))


def test_a_backup_made_before_a_kek_rotation_still_opens(backed_up: Path, settings: Any) -> None:
    old, new = bytes(settings.SEAL_KEK), bytes(range(32))
    settings.SEAL_KEK = new
    settings.SEAL_KEKS = [new, old]
    checked = backup_check(backed_up)
    assert checked.keys.key_id == _manifest(backed_up)["key_id"] != current_keys().key_id
