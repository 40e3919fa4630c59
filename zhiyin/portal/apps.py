from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "zhiyin.portal"
    label = "portal"
    verbose_name = _("村民办事")

    def ready(self) -> None:
        from zhiyin.approvals.files import upload_folder_register
        from zhiyin.portal.files import EVIDENCE_PREFIX
        from zhiyin.portal.models import ApplicationFile

        upload_folder_register(EVIDENCE_PREFIX, ApplicationFile)
