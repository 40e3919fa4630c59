"""Install the starter warning rules (version 1 of each), so a new district has them."""

from typing import Any

from django.db import migrations


def install(apps: Any, schema_editor: Any) -> None:
    from zhiyin.oversight.starter import STARTER_RULES

    rule_model = apps.get_model("oversight", "WarningRule")
    version_model = apps.get_model("oversight", "WarningRuleVersion")
    for spec in STARTER_RULES:
        rule, created = rule_model.objects.get_or_create(code=spec["code"], defaults=spec)
        if created:
            version_model.objects.create(rule=rule, version=1, snapshot={**spec, "enabled": True, "version": 1})


class Migration(migrations.Migration):
    dependencies = [("oversight", "0001_initial")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
