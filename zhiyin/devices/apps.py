from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop


class DevicesConfig(AppConfig):
    name = "zhiyin.devices"
    label = "devices"
    verbose_name = _("智能印章终端")

    def ready(self) -> None:
        # Tell approvals which physical seals are held in a terminal (approvals never
        # imports devices: the dependency arrow points from here to there).
        from zhiyin.approvals.hooks import physical_stamping_register, request_panel_register
        from zhiyin.devices.selectors import request_terminal_link
        from zhiyin.devices.views import request_panel

        physical_stamping_register(request_terminal_link)
        request_panel_register(request_panel)


#: Strings other apps show on behalf of the terminals (the approvals hook, the menu); listed
#: here so this app's own catalogue translates them wherever they appear.
SHOWN_ELSEWHERE = (
    gettext_noop("在智能印章终端授权用印"),
    gettext_noop("该印章存放在智能印章终端中，请在终端用印页面授权盖章。"),
    gettext_noop("印章终端"),
)
