"""factory_boy factories for places and people. They go through the services' own
validation where it matters (ID numbers are well-formed), but write rows directly, so
they are for building scenes in tests, not for testing the services themselves."""

from __future__ import annotations

import datetime as dt
from typing import Any

from factory.declarations import LazyAttribute, Sequence, SubFactory
from factory.django import DjangoModelFactory

from zhiyin.lib.idcard import id_number_make
from zhiyin.orgs.models import District, Person, Village, VillageGroup


class DistrictFactory(DjangoModelFactory[District]):
    class Meta:
        model = District
        django_get_or_create = ("code",)

    name = "崖州区"
    code = "460205"


class VillageFactory(DjangoModelFactory[Village]):
    class Meta:
        model = Village

    district = SubFactory(DistrictFactory)
    name = Sequence(lambda n: f"测试{n}村")
    code = Sequence(lambda n: f"460205{500 + n:03d}")


class VillageGroupFactory(DjangoModelFactory[VillageGroup]):
    class Meta:
        model = VillageGroup

    village = SubFactory(VillageFactory)
    number = Sequence(lambda n: n % 30 + 1)
    name = LazyAttribute(lambda o: f"第{o.number}村民小组")


def _id_number(n: int) -> str:
    return id_number_make(
        region="460205",
        birth=dt.date(1970, 1, 1) + dt.timedelta(days=n * 37),
        serial=n,
        female=n % 2 == 0,
    )


class ResidentFactory(DjangoModelFactory[Person]):
    class Meta:
        model = Person

    username = Sequence(lambda n: f"resident{n:04d}")
    real_name = Sequence(lambda n: f"村民{n}")
    phone = Sequence(lambda n: f"137{n:08d}")
    id_number = Sequence(_id_number)
    home_group = SubFactory(VillageGroupFactory)
    home_village = LazyAttribute(lambda o: o.home_group.village)

    @classmethod
    def _create(cls, model_class: type[Person], *args: Any, **kwargs: Any) -> Person:
        person = model_class(**kwargs)
        person.set_unusable_password()
        person.save()
        return person
