from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from zhiyin.core.errors import RuleViolation
from zhiyin.orgs.models import Person
from zhiyin.orgs.tokens import api_token_create


class Command(BaseCommand):
    help = (
        "Create an API token for a person (an integration acts as that person, with their "
        "grants). The token is printed once; only its hash is stored."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument("name", help="What the token is for, e.g. the integrating system.")

    def handle(self, *args: Any, **options: Any) -> None:
        person = Person.objects.filter(username=options["username"]).first()
        if person is None:
            raise CommandError(f"No person with username {options['username']!r}.")
        try:
            _, token = api_token_create(person=person, name=options["name"], by=None)
        except RuleViolation as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(token)
