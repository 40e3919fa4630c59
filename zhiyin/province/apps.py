from django.apps import AppConfig


class ProvinceConfig(AppConfig):
    """Province-size data for capacity measurement: `manage.py load_province`."""

    name = "zhiyin.province"
    label = "province"
    default_auto_field = "django.db.models.BigAutoField"
