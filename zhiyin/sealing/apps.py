from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SealingConfig(AppConfig):
    name = "zhiyin.sealing"
    label = "sealing"
    verbose_name = _("电子签章")
