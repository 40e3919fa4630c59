from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgsConfig(AppConfig):
    name = "zhiyin.orgs"
    label = "orgs"
    verbose_name = _("组织与人员")

    def ready(self) -> None:
        from zhiyin.delivery.channels import resident_check_register
        from zhiyin.orgs.selectors import person_is_resident_only

        resident_check_register(person_is_resident_only)
