"""Forms as data: read a service's form definition, check answers, compute the amount.

Everything here is a pure function of the service and the answers, so the page (which
shows the amount live), the submission (which recomputes it) and the tests agree.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from zhiyin.core.errors import RuleViolation
from zhiyin.lib.idcard import id_number_is_valid
from zhiyin.lib.numbers import NumberError, number_parse
from zhiyin.portal.models import Service, Subsidy, SubsidyRule

CENT = Decimal("0.01")
PHONE = re.compile(r"^1\d{10}$")
FIELD_TYPES = frozenset({"text", "choice", "integer", "decimal", "phone", "id_number"})


@dataclass(frozen=True)
class FieldDef:
    key: str
    label: str
    type: str
    unit: str = ""
    choices: tuple[str, ...] = ()
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    max_length: int = 100
    required: bool = True
    prefill: str = ""
    page: int = 1
    help: str = ""

    @property
    def input_type(self) -> str:
        return {"phone": "tel"}.get(self.type, "text")

    @property
    def input_mode(self) -> str:
        return {"integer": "numeric", "decimal": "decimal", "phone": "tel"}.get(self.type, "")


@dataclass
class FieldErrors(Exception):
    errors: dict[str, str] = field(default_factory=dict)


def _decimal(value: Any) -> Decimal | None:
    """A number from the form definition or from answers already cleaned; None for
    anything else, so an answer the person is still correcting never breaks the page."""
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def fields_of(service: Service) -> list[FieldDef]:
    result = []
    for raw in service.form.get("fields", []):
        kind = str(raw["type"])
        if kind not in FIELD_TYPES:
            raise ValueError(f"unknown field type {kind}")
        result.append(
            FieldDef(
                key=str(raw["key"]),
                label=str(raw["label"]),
                type=kind,
                unit=str(raw.get("unit", "")),
                choices=tuple(str(c) for c in raw.get("choices", ())),
                minimum=_decimal(raw.get("min")),
                maximum=_decimal(raw.get("max")),
                max_length=int(raw.get("max_length", 100)),
                required=bool(raw.get("required", True)),
                prefill=str(raw.get("prefill", "")),
                page=int(raw.get("page", 1)),
                help=str(raw.get("help", "")),
            )
        )
    return result


def pages_of(service: Service) -> list[int]:
    return sorted({f.page for f in fields_of(service)})


def _number_message(f: FieldDef, reason: str) -> str:
    if reason == "comma":
        return _("“%(label)s”请用小数点，例如 3.5（不要用逗号）。") % {"label": f.label}
    if reason == "too_long":
        return _("“%(label)s”的数字太长了，请检查。") % {"label": f.label}
    if f.unit:
        return _("“%(label)s”请填写数字，例如 3 或 2.5（单位：%(unit)s）。") % {
            "label": f.label,
            "unit": f.unit,
        }
    return _("“%(label)s”请填写数字，例如 3 或 2.5。") % {"label": f.label}


def value_clean(f: FieldDef, raw: object) -> str:
    """The canonical text of one answer, or RuleViolation with a message for the person."""
    text = str(raw if raw is not None else "").strip()
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in text):
        raise RuleViolation(_("“%(label)s”里有无法识别的字符，请重新输入。") % {"label": f.label})
    if not text:
        if f.required and f.type == "choice":
            raise RuleViolation(_("请选择“%(label)s”。") % {"label": f.label})
        if f.required:
            raise RuleViolation(_("请填写“%(label)s”。") % {"label": f.label})
        return ""
    if f.type == "text":
        if len(text) > f.max_length:
            raise RuleViolation(
                _("“%(label)s”最多 %(n)d 个字。") % {"label": f.label, "n": f.max_length}
            )
        return text
    if f.type == "choice":
        if text not in f.choices:
            raise RuleViolation(_("请从列表中选择“%(label)s”。") % {"label": f.label})
        return text
    if f.type == "phone":
        if not PHONE.match(text):
            raise RuleViolation(_("“%(label)s”应为 11 位手机号。") % {"label": f.label})
        return text
    if f.type == "id_number":
        text = text.upper()
        if not id_number_is_valid(text):
            raise RuleViolation(_("“%(label)s”不是有效的身份证号。") % {"label": f.label})
        return text
    try:
        number = number_parse(text, unit=f.unit)
    except NumberError as exc:
        raise RuleViolation(_number_message(f, exc.reason)) from exc
    if f.type == "integer":
        if number != number.to_integral_value():
            raise RuleViolation(_("“%(label)s”请填写整数。") % {"label": f.label})
        number = number.quantize(Decimal(1))
    else:
        if number != number.quantize(CENT, rounding=ROUND_HALF_UP):
            raise RuleViolation(_("“%(label)s”最多保留两位小数。") % {"label": f.label})
        number = number.quantize(CENT)
    unit = f.unit
    if f.minimum is not None and number < f.minimum:
        raise RuleViolation(
            _("“%(label)s”不能小于 %(min)s%(unit)s。")
            % {"label": f.label, "min": f.minimum, "unit": unit}
        )
    if f.maximum is not None and number > f.maximum:
        raise RuleViolation(
            _("“%(label)s”不能大于 %(max)s%(unit)s。")
            % {"label": f.label, "max": f.maximum, "unit": unit}
        )
    return str(number)


def answers_clean(
    fields: list[FieldDef], data: dict[str, Any], *, fixed: dict[str, str] | None = None
) -> dict[str, str]:
    """Check every field; fixed values (from the register) replace whatever was sent."""
    fixed = fixed or {}
    cleaned: dict[str, str] = {}
    errors: dict[str, str] = {}
    for f in fields:
        raw = fixed[f.key] if f.key in fixed else data.get(f.key, "")
        try:
            cleaned[f.key] = value_clean(f, raw)
        except RuleViolation as exc:
            errors[f.key] = exc.message
    if errors:
        raise FieldErrors(errors)
    return cleaned


def _rates(subsidy: Subsidy) -> list[Decimal] | dict[str, Decimal]:
    if subsidy.rule == SubsidyRule.PER_CROP_AREA:
        return [Decimal(str(r)) for r in subsidy.rates]
    return {str(k): Decimal(str(v)) for k, v in dict(subsidy.rates).items()}


@dataclass(frozen=True)
class AmountPart:
    """One term of the amount: `area` 亩 × `rate` 元/亩."""

    area: Decimal
    rate: Decimal


def subsidy_parts(subsidy: Subsidy, answers: dict[str, str]) -> list[AmountPart] | None:
    """The terms the amount adds up; None while the answers needed are missing."""
    area = _decimal(answers.get(subsidy.area_field))
    if area is None or area < subsidy.min_area:
        return None
    rates = _rates(subsidy)
    if not isinstance(rates, list):
        choice = answers.get(subsidy.choice_field, "")
        return [AmountPart(area, rates[choice])] if choice in rates else None
    count = _decimal(answers.get(subsidy.count_field))
    if count is None or not 1 <= count <= len(rates):
        return None
    crops = int(count)
    if not subsidy.crop_area_fields:
        return [AmountPart(area, sum(rates[:crops], Decimal(0)))]
    parts = []
    for n in range(crops):
        key = subsidy.crop_area_fields[n] if n < len(subsidy.crop_area_fields) else ""
        own = _decimal(answers.get(key)) if key else None
        parts.append(AmountPart(own if own is not None else area, rates[n]))
    return parts


def subsidy_amount(subsidy: Subsidy, answers: dict[str, str]) -> Decimal | None:
    """元, two places, rounded half up; None while the answers needed are missing."""
    parts = subsidy_parts(subsidy, answers)
    if parts is None:
        return None
    total = sum((p.area * p.rate for p in parts), Decimal(0))
    return total.quantize(CENT, rounding=ROUND_HALF_UP)


def subsidy_formula(subsidy: Subsidy, answers: dict[str, str]) -> str:
    """How the amount is worked out, e.g. "2.5 亩 × 200 元 + 1.5 亩 × 300 元 = 950.00 元"."""
    parts = subsidy_parts(subsidy, answers)
    amount = subsidy_amount(subsidy, answers)
    if parts is None or amount is None:
        return ""
    terms = " + ".join(
        _("%(area)s 亩 × %(rate)s 元") % {"area": _plain(p.area), "rate": _plain(p.rate)}
        for p in parts
    )
    return _("%(terms)s = %(amount)s 元") % {"terms": terms, "amount": amount}


def _plain(number: Decimal) -> str:
    """3.50 → 3.5, 200.00 → 200: how people write a number."""
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def subsidy_rate_text(subsidy: Subsidy) -> str:
    rates = _rates(subsidy)
    if isinstance(rates, list):
        return "；".join(
            _("第%(n)d茬 %(rate)s 元/亩") % {"n": i + 1, "rate": r} for i, r in enumerate(rates)
        )
    return "；".join(f"{k} {v} 元/亩" for k, v in rates.items())


def _month_day(text: str) -> tuple[int, int]:
    month, day = text.split("-")
    return int(month), int(day)


def in_season(service: Service, day: dt.date) -> bool:
    start_text = service.eligibility.get("season_start")
    end_text = service.eligibility.get("season_end")
    if not start_text or not end_text:
        return True
    start, end, today = _month_day(start_text), _month_day(end_text), (day.month, day.day)
    if start <= end:
        return start <= today <= end
    return today >= start or today <= end


def eligibility_check(
    service: Service, *, id_number: str, answers: dict[str, str] | None, day: dt.date
) -> None:
    """Refuse, with the reason, anyone the service's rules leave out."""
    if not in_season(service, day):
        s_month, s_day = _month_day(service.eligibility["season_start"])
        e_month, e_day = _month_day(service.eligibility["season_end"])
        raise RuleViolation(
            _("“%(name)s”只在每年%(sm)d月%(sd)d日至次年%(em)d月%(ed)d日受理，现在不在申报期内。")
            % {"name": service.name, "sm": s_month, "sd": s_day, "em": e_month, "ed": e_day}
        )
    excluded = service.excluded.filter(id_number=id_number).first() if id_number else None
    if excluded is not None:
        raise RuleViolation(
            _("您已在“%(name)s”的不予补贴名单中：%(reason)s。如有疑问，请联系村委会。")
            % {"name": service.name, "reason": excluded.reason}
        )
    subsidy = getattr(service, "subsidy", None)
    if answers is not None and isinstance(subsidy, Subsidy):
        area = _decimal(answers.get(subsidy.area_field))
        if area is not None and area < subsidy.min_area:
            raise RuleViolation(
                _("种植面积不足 %(min)s 亩，不符合补贴条件。") % {"min": subsidy.min_area}
            )
