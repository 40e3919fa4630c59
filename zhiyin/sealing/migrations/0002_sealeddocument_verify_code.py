"""Sealed documents get an unguessable verification code; existing ones get one too."""

import secrets

from django.db import migrations, models

import zhiyin.sealing.models


def codes_fill(apps, schema_editor):
    SealedDocument = apps.get_model("sealing", "SealedDocument")
    for document in SealedDocument.objects.filter(verify_code__isnull=True).only("pk"):
        document.verify_code = secrets.token_urlsafe(16)
        document.save(update_fields=["verify_code"])


class Migration(migrations.Migration):
    dependencies = [("sealing", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="sealeddocument",
            name="verify_code",
            field=models.CharField(max_length=32, null=True, unique=True, verbose_name="验真码"),
        ),
        migrations.RunPython(codes_fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="sealeddocument",
            name="verify_code",
            field=models.CharField(
                default=zhiyin.sealing.models.verify_code_new,
                max_length=32,
                unique=True,
                verbose_name="验真码",
            ),
        ),
    ]
