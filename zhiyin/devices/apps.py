from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


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
