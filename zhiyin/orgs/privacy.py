"""Whether a person sees officials' names (审批人姓名) on a page.

Staff see who decided. Residents see roles only (支部书记, 印章管理员…) unless their
district chose to show names (the portal's district setting); the portal owns that
setting, so it is read through `settings.OFFICIAL_NAMES_SHOWN_CHECK`, a dotted path to a
function of a district id, and orgs imports no app above it.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

from zhiyin.orgs.models import Role, Village
from zhiyin.orgs.selectors import Access


def official_names_shown(district_id: int) -> bool:
    check = getattr(settings, "OFFICIAL_NAMES_SHOWN_CHECK", "")
    return bool(check) and bool(import_string(check)(district_id))


def official_names_hidden(*, access: Access, village: Village | None) -> bool:
    """True for a viewer who holds no staff role where the object is (a resident looking
    at their own request or its trace) when the district does not show names."""
    if village is None:
        staff = {g.role for g in access.grants} - {Role.RESIDENT}
        return not staff
    if set(access.roles_in_village(village)) - {Role.RESIDENT}:
        return False
    return not official_names_shown(village.district_id)
