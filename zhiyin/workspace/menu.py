"""The menu as data: which pages each role may use, in the order they are shown.

To add a page, append a `MenuEntry` to `MENU` (or call `menu_add` from an app's
`ready()`): a URL name, a label, and the roles that may open it. A test walks every entry
for every role and checks that the page opens, so an entry never leads to a 403.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from zhiyin.orgs.models import Role
from zhiyin.orgs.selectors import Access

STAFF = frozenset(
    {Role.CLERK, Role.GROUP_LEADER, Role.SECRETARY, Role.CUSTODIAN, Role.INSPECTOR, Role.ADMIN}
)
EVERYONE = frozenset(Role.values)


@lru_cache(maxsize=512)
def _reverse_cached(url_name: str, prefix: str, urlconf: str) -> str:
    """A menu URL takes no arguments: reversed once per script prefix and URLconf."""
    return reverse(url_name, urlconf=urlconf)


@dataclass(frozen=True)
class MenuEntry:
    """One page in the menu. `count` names a figure of `counts_for` shown as a badge;
    `primary` entries stay in the top bar on a phone, the others fold under 更多;
    `when` narrows an entry beyond roles (e.g. district-wide admins only)."""

    key: str
    label: str | Promise
    url_name: str
    roles: frozenset[str]
    primary: bool = False
    count: str = ""
    when: Callable[[Access], bool] | None = field(default=None, compare=False)

    def shown_to(self, access: Access) -> bool:
        if not access.roles & self.roles:
            return False
        return self.when is None or self.when(access)

    @property
    def url(self) -> str:
        urlconf = get_urlconf() or settings.ROOT_URLCONF
        return _reverse_cached(self.url_name, get_script_prefix(), urlconf)


MENU: list[MenuEntry] = [
    MenuEntry("home", _("首页"), "home", EVERYONE, primary=True),
    MenuEntry("portal", _("我要办事"), "portal_home", frozenset({Role.RESIDENT}), primary=True),
    MenuEntry("ask", _("问一问在哪办"), "portal_ask", frozenset({Role.RESIDENT})),
    MenuEntry(
        "inbox",
        _("待办"),
        "inbox",
        frozenset({Role.GROUP_LEADER, Role.SECRETARY, Role.CUSTODIAN, Role.CLERK}),
        primary=True,
        count="to_decide",
    ),
    MenuEntry("clerk", _("村民申请"), "portal_clerk", frozenset({Role.CLERK}), count="to_accept"),
    MenuEntry(
        "request_new",
        _("新建用印申请"),
        "seal_request_create",
        frozenset({Role.CLERK, Role.CUSTODIAN}),
    ),
    MenuEntry("requests", _("用印申请"), "seal_request_list", STAFF),
    MenuEntry("sealing", _("盖章"), "sealing_index", frozenset({Role.CUSTODIAN}), count="to_seal"),
    MenuEntry("seals", _("印章登记"), "seal_list", STAFF),
    MenuEntry(
        "devices",
        _("印章终端"),
        "device_list",
        frozenset({Role.ADMIN, Role.INSPECTOR, Role.CUSTODIAN}),
    ),
    MenuEntry("matters", _("事项目录"), "matter_list", STAFF),
    MenuEntry("negative", _("负面清单"), "negative_list", STAFF | {Role.RESIDENT}),
    MenuEntry(
        "bureau",
        _("部门收件"),
        "bureau_inbox",
        frozenset({Role.BUREAU_OFFICER}),
        primary=True,
        count="to_sign",
    ),
    MenuEntry(
        "register_import",
        _("导入村民底册"),
        "portal_register_import",
        frozenset({Role.ADMIN}),
        when=lambda access: access.is_district_admin,
    ),
    MenuEntry("admin", _("系统管理"), "admin:index", frozenset({Role.ADMIN, Role.SECURITY_ADMIN})),
    MenuEntry("lockouts", _("登录锁定"), "accounts_lockouts", frozenset({Role.SECURITY_ADMIN})),
    MenuEntry(
        "staff_factors",
        _("两步验证管理"),
        "accounts_staff_factors",
        frozenset({Role.SECURITY_ADMIN}),
    ),
    MenuEntry(
        "security_log", _("登录安全日志"), "accounts_security_log", frozenset({Role.AUDIT_ADMIN})
    ),
    MenuEntry("security", _("账号安全"), "accounts_security", EVERYONE),
    MenuEntry(
        "notifications",
        _("消息"),
        "notification_list",
        EVERYONE,
        primary=True,
        count="unread",
    ),
    MenuEntry("password", _("修改密码"), "password_change", EVERYONE),
]


def menu_add(entry: MenuEntry, *, before: str = "notifications") -> None:
    """Insert `entry` before the entry keyed `before` (消息 and 修改密码 stay last)."""
    keys = [e.key for e in MENU]
    if entry.key in keys:
        return
    MENU.insert(keys.index(before) if before in keys else len(MENU), entry)


def menu_for(access: Access) -> list[MenuEntry]:
    """The entries `access` may use, whose pages exist in this installation."""
    entries = []
    for entry in MENU:
        if not entry.shown_to(access):
            continue
        try:
            entry.url  # noqa: B018  # an app that is not installed has no URL: skip its entry
        except NoReverseMatch:
            continue
        entries.append(entry)
    return entries
