from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    name = "zhiyin.approvals"
    label = "approvals"
    verbose_name = _("用印审批")

    def ready(self) -> None:
        from zhiyin.approvals.files import upload_folder_register
        from zhiyin.approvals.models import RequestAttachment, RequestDocument

        upload_folder_register("documents", RequestDocument)
        upload_folder_register("attachments", RequestAttachment)
