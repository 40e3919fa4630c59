from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OversightConfig(AppConfig):
    """People-facing views of the log (trace pages, proofs for inspectors), scoped by grants.

    Sits above every domain app and `audit`; nothing imports it but the URL configuration
    and the API (see docs/architecture.md).
    """

    name = "zhiyin.oversight"
    label = "oversight"
    verbose_name = _("监督")
