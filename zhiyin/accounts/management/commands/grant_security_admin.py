"""Give an existing person the district's security administrator role (or, with
`--role audit`, the audit administrator's): installations made before 三员分立 have
neither, and only a security administrator can grant roles in the web pages afterwards.
The grant goes through the same service as the admin's, so it is checked and audited
(`role_grant.create` in the district's log, actor: the command line)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from zhiyin.core.errors import RuleViolation
from zhiyin.orgs.models import District, Person, Role
from zhiyin.orgs.services import role_grant_create

ROLES = {"security": Role.SECURITY_ADMIN, "audit": Role.AUDIT_ADMIN}


class Command(BaseCommand):
    help = (
        "Grant USERNAME the security administrator role of a district (三员分立); "
        "--role audit grants the audit administrator instead. Audited."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username", help="Login name (or phone) of an existing person.")
        parser.add_argument(
            "--district",
            default="",
            help="District code; may be left out when the installation has one district.",
        )
        parser.add_argument("--role", choices=sorted(ROLES), default="security")

    def handle(self, *args: Any, **options: Any) -> None:
        login = str(options["username"]).strip()
        person = (
            Person.objects.filter(username=login).first()
            or Person.objects.filter(phone=login).first()
        )
        if person is None:
            raise CommandError(f"No person with login name or phone {login!r}.")
        districts = District.objects.filter(retired_at__isnull=True)
        if options["district"]:
            district = districts.filter(code=options["district"]).first()
            if district is None:
                raise CommandError(f"No active district with code {options['district']!r}.")
        elif districts.count() == 1:
            district = districts.get()
        else:
            codes = ", ".join(districts.values_list("code", flat=True)[:20])
            raise CommandError(f"Several districts: name one with --district ({codes}).")
        role = ROLES[options["role"]]
        try:
            role_grant_create(person=person, role=role, district=district, by=None)
        except RuleViolation as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"{person.username} is now {Role(role).label} of {district.name} ({district.code}). "
            "They bind an authenticator at their next sign-in."
        )
