from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgsConfig(AppConfig):
    name = "zhiyin.orgs"
    label = "orgs"
    verbose_name = _("组织与人员")

    def ready(self) -> None:
        # Delivery knows no people: tell it who is a resident and who administers a district.
        from zhiyin.delivery.channels import resident_check_register
        from zhiyin.delivery.directory import district_admins_register
        from zhiyin.orgs.selectors import district_admins_of, people_resident_only

        resident_check_register(people_resident_only)
        district_admins_register(district_admins_of)
        # Delivery's models on the scoped admin site, which scopes them by district admin.
        import zhiyin.orgs.delivery_admin  # noqa: F401
