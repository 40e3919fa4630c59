"""Every read of the catalog, scoped to the asking person's district(s).

The catalog belongs to a district: every staff member with a grant anywhere in the
district (village, group, bureau or the district itself) reads all of its matters.
Residents and anonymous visitors read none of it; the negative list is public.
"""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from zhiyin.catalog.matching import kept_build, pattern_build, pattern_match, words_of
from zhiyin.catalog.models import ChainStep, Matter, NegativeListAlias, NegativeListItem
from zhiyin.catalog.own_words import CUES, GENERIC_WORDS, KEPT, PRECEDENCE
from zhiyin.core.errors import RuleViolation
from zhiyin.orgs.models import District, Role
from zhiyin.orgs.selectors import Access
from zhiyin.seals.models import Seal


def catalog_district_ids(access: Access) -> set[int]:
    """Districts whose catalog the person may read: any staff grant inside them.

    Every grant carries its district, so this is one pass over the grants."""
    return {g.district_id for g in access.grants if g.role != Role.RESIDENT}


def matters_for(
    *, access: Access, district: District | None = None, include_inactive: bool = False
) -> QuerySet[Matter]:
    """Matters of the person's district(s), with their chain and steps prefetched."""
    ids = catalog_district_ids(access)
    if district is not None:
        ids &= {district.pk}
    matters = Matter.objects.filter(district_id__in=ids)
    if not include_inactive:
        matters = matters.filter(is_active=True)
    return matters.select_related("chain", "target_bureau", "district").prefetch_related(
        Prefetch("chain__steps", queryset=ChainStep.objects.order_by("position"))
    )


def matter_get_for(*, access: Access, pk: int) -> Matter:
    """One matter of the person's catalog districts, stopped ones included (an old request may name
    it); `Http404` otherwise."""
    matter = matters_for(access=access, include_inactive=True).filter(pk=pk).first()
    if matter is None:
        raise Http404
    return matter


def matters_search(*, access: Access, query: str = "") -> QuerySet[Matter]:
    """The person's active matters whose name or code contains `query`, by category and code."""
    matters = matters_for(access=access)
    query = query.strip()
    if query:
        matters = matters.filter(Q(name__icontains=query) | Q(code__icontains=query))
    return matters.order_by("category", "code")


def matters_for_seal(*, access: Access, seal: Seal) -> list[Matter]:
    """Active matters of the person's scope that `seal` may be used for (kind and owner)."""
    return [
        m
        for m in matters_for(access=access, district=seal.village.district)
        if seal.kind in m.seal_kinds and seal.owner_level in m.owner_levels
    ]


def negative_list_for(*, district: District | None = None) -> QuerySet[NegativeListItem]:
    """The national items, plus the district's own when a district is given. Public."""
    q = Q(district__isnull=True)
    if district is not None:
        q |= Q(district=district)
    return NegativeListItem.objects.filter(q).order_by("district_id", "pk")


def negative_list_match(text: str, *, district: District | None = None) -> NegativeListItem | None:
    """The negative-list item `text` asks for, if any: by name or alias, by its name's
    core next to 证明, or in the residents' own words (the national items' cues and the
    district's `NegativeListAlias` phrases). See `matching` for how they are weighed."""
    rows = negative_list_for(district=district).values_list("pk", "name", "aliases", "district")
    extra: dict[int, list[str]] = {}
    kept: list[str] = list(KEPT)
    if district is not None:
        for item_id, phrase in NegativeListAlias.objects.filter(district=district).values_list(
            "item_id", "phrase"
        ):
            extra.setdefault(item_id, []).append(phrase)
        kept += Matter.objects.filter(district=district, is_active=True).values_list(
            "name", flat=True
        )
    patterns = [
        pattern_build(
            pk,
            name,
            tuple(aliases) + tuple(sorted(extra.get(pk, ()))),
            CUES.get(name, ()) if item_district is None else (),
            PRECEDENCE.index(name) if name in PRECEDENCE else len(PRECEDENCE),
        )
        for pk, name, aliases, item_district in rows
    ]
    key = pattern_match(patterns, text, kept_build(tuple(sorted(kept))))
    return None if key is None else NegativeListItem.objects.get(pk=key)


def question_words(text: str) -> list[str]:
    """The words of a resident's question that say what it is about: two characters or
    more and not generic (证明, 办理, 村委会…), so "开个证明" names no service at all."""
    return [w for w in words_of(text) if len(w) > 1 and w not in GENERIC_WORDS]


class NegativeListRefusal(RuleViolation):
    """A refusal because of the negative list; `item` is what was asked for, so callers
    can record the refusal (inspectors count the certificates residents were spared)."""

    def __init__(self, message: str, item: NegativeListItem) -> None:
        super().__init__(message)
        self.item = item


def negative_list_check(text: str, district: District | None = None) -> None:
    """Refuse text that asks for a negative-list certificate, saying where to go instead."""
    item = negative_list_match(text, district=district)
    if item is not None:
        raise NegativeListRefusal(
            _(
                "“%(name)s”属于村（社区）不再出具的证明事项（负面清单）。%(reason)s 请改为：%(where)s"
            )
            % {"name": item.name, "reason": item.reason, "where": item.where_instead},
            item,
        )
