# API tokens belong to people, not to seal requests: the model moves to orgs
# (orgs.0004 takes over the table and renames it). Here it only leaves approvals' state.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('approvals', '0002_inbox_indexes'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='ApiToken')],
            database_operations=[],
        ),
    ]
