from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkerConfig(AppConfig):
    name = "zhiyin.worker"
    label = "worker"
    verbose_name = _("后台任务")
