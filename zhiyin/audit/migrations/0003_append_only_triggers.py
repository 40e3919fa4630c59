"""The database itself refuses UPDATE and DELETE on the audit tables.

`audit_flush_permit` is a one-row switch that is not a Django model, so `flush` never
empties it: the `flush` command (zhiyin/audit/management/commands/flush.py) sets it for
the length of a whole-database wipe, which is how test databases are reset. Row edits and
row deletes are refused in every other case. Wholesale removal by the database owner
(TRUNCATE, DROP) is out of a trigger's reach; signed checkpoints kept outside the server
are what reveal that.

On SQLite, a migration that rebuilds one of these tables drops its triggers: such a
migration must run `install` again (audit_verify reports missing triggers).
"""

from django.db import migrations

TABLES = ("audit_auditevent", "audit_checkpoint")

SQLITE_INSTALL = ["CREATE TABLE IF NOT EXISTS audit_flush_permit (permitted integer NOT NULL)"] + [
    stmt
    for table in TABLES
    for stmt in (
        f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
            BEGIN SELECT RAISE(ABORT, 'audit log is append-only: UPDATE refused on {table}'); END""",
        f"""CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
            WHEN NOT EXISTS (SELECT 1 FROM audit_flush_permit)
            BEGIN SELECT RAISE(ABORT, 'audit log is append-only: DELETE refused on {table}'); END""",
    )
]
SQLITE_REMOVE = [
    f"DROP TRIGGER IF EXISTS {table}_{op}" for table in TABLES for op in ("no_update", "no_delete")
] + ["DROP TABLE IF EXISTS audit_flush_permit"]

POSTGRES_INSTALL = [
    "CREATE TABLE IF NOT EXISTS audit_flush_permit (permitted integer NOT NULL)",
    """CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM audit_flush_permit) THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'audit log is append-only: % refused on %', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END $$""",
] + [
    f"""CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
        FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()"""
    for table in TABLES
]
POSTGRES_REMOVE = [f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}" for table in TABLES] + [
    "DROP FUNCTION IF EXISTS audit_refuse_change()",
    "DROP TABLE IF EXISTS audit_flush_permit",
]


def _run(schema_editor, statements):
    for statement in statements:
        schema_editor.execute(statement, params=None)


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, SQLITE_INSTALL)
    elif vendor == "postgresql":
        _run(schema_editor, POSTGRES_INSTALL)
    else:
        raise RuntimeError(f"no append-only triggers for database {vendor!r}")


def remove(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    _run(schema_editor, SQLITE_REMOVE if vendor == "sqlite" else POSTGRES_REMOVE)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_checkpoint")]

    operations = [migrations.RunPython(install, remove)]
