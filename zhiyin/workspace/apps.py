from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkspaceConfig(AppConfig):
    """Each person's 工作台: the menu of the pages their roles may use, and the home page
    that lists what waits for them (待办) with counts.

    It also holds the page frame (`base.html`), so the frame's strings are in the
    catalog with everything else. Sits above the domain apps: it reads their selectors and nothing imports it but the
    URL configuration and the page frame's context processor.
    """

    name = "zhiyin.workspace"
    label = "workspace"
    verbose_name = _("工作台")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from zhiyin.workspace.display import large_text_remember_at_login

        user_logged_in.connect(large_text_remember_at_login, dispatch_uid="workspace-large-text")
