"""What a district admin changes for the portal: the register of residents (imported whole
or not at all) and the district's portal settings."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from zhiyin.approvals.files import size_text
from zhiyin.audit.services import audit_record, district_log
from zhiyin.core.errors import RuleViolation
from zhiyin.orgs.models import District, Person, Role
from zhiyin.orgs.selectors import access_for
from zhiyin.portal.models import (
    PortalSettings,
    RegisterEntry,
)
from zhiyin.portal.register import RegisterReport, RowError, register_parse


def _may_import(by: Person, district: District) -> bool:
    return any(
        g.role == Role.ADMIN and g.district_id == district.pk and g.village_id is None
        for g in access_for(by).grants
    )


@transaction.atomic
def register_import(
    *, data: bytes, filename: str, district: District, by: Person
) -> RegisterReport:
    """Import the register from an .xlsx or CSV file: every row or none."""
    if not _may_import(by, district):
        raise RuleViolation(_("只有本区的系统管理员可以导入村民底册。"))
    limit = settings.REGISTER_IMPORT_MAX_BYTES
    if len(data) > limit:
        report = RegisterReport()
        report.errors.append(
            RowError(
                0,
                "",
                _("文件超过 %(limit)s 的大小限制，没有导入任何一行。请把底册分成几个文件分别导入。")
                % {"limit": size_text(limit)},
            )
        )
        return report
    report = register_parse(data, filename, district)
    if not report.ok:
        return report
    for row in report.rows:
        _entry, created = RegisterEntry.objects.update_or_create(
            district=district,
            id_number=row.id_number,
            defaults={
                "real_name": row.real_name,
                "social_security_number": row.social_security_number,
                "village": row.village,
                "group": row.group,
                "phone": row.phone,
                "fixed_fields": list(row.fixed_fields),
            },
        )
        if created:
            report.created += 1
        else:
            report.updated += 1
    audit_record(
        actor=by,
        action="register.import",
        target_label=filename[:200],
        after={"file": filename[:200], "created": report.created, "updated": report.updated},
        scope=district.name,
        log=district_log(district.pk),
    )
    return report


@transaction.atomic
def portal_settings_update(
    *, district: District, show_official_names: bool, by: Person
) -> PortalSettings:
    """A district admin decides whether progress pages name the officials who decided."""
    if not _may_import(by, district):
        raise RuleViolation(_("只有本区的系统管理员可以修改村民办事设置。"))
    setting, _created = PortalSettings.objects.get_or_create(district=district)
    before = {"show_official_names": setting.show_official_names}
    setting.show_official_names = show_official_names
    setting.save()
    audit_record(
        actor=by,
        action="portal_settings.update",
        target=setting,
        before=before,
        after={"show_official_names": show_official_names},
        scope=district.name,
        log=district_log(district.pk),
    )
    return setting
