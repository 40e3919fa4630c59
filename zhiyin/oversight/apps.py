from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OversightConfig(AppConfig):
    """People-facing views of the log (trace pages, proofs for inspectors), scoped by grants,
    and supervision: warning rules and warnings, the workbench, statistics and ledgers.

    Sits above every domain app and `audit`; nothing imports it but the URL configuration,
    the API and the settings that name its audit subscriber and tasks (see
    docs/architecture.md). It adds its pages to the workspace menu itself.
    """

    name = "zhiyin.oversight"
    label = "oversight"
    verbose_name = _("监督")

    def ready(self) -> None:
        from zhiyin.orgs.models import Role
        from zhiyin.workspace.menu import MenuEntry, menu_add

        menu_add(
            MenuEntry(
                "warnings",
                _("预警"),
                "oversight_workbench",
                frozenset({Role.INSPECTOR, Role.SECRETARY}),
                primary=True,
            )
        )
        menu_add(
            MenuEntry(
                "statistics",
                _("统计驾驶舱"),
                "oversight_statistics",
                frozenset({Role.INSPECTOR, Role.ADMIN, Role.SECRETARY}),
            )
        )
        menu_add(
            MenuEntry(
                "ledger",
                _("用印台账"),
                "oversight_ledger",
                frozenset({Role.INSPECTOR, Role.ADMIN, Role.SECRETARY}),
            )
        )
