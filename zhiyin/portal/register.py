"""Reading the district register from an Excel (.xlsx) or CSV file.

Every row is checked before anything is written; `register_import` (services) writes
only a file without a single error, so a register is never half imported. The report
names the row and column of each problem in plain Chinese.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from zhiyin.lib.idcard import id_number_is_valid
from zhiyin.orgs.models import District, Village, VillageGroup

#: Column headings (Chinese, as a district's spreadsheet has them) and the keys they fill.
COLUMNS = {
    "姓名": "real_name",
    "身份证号": "id_number",
    "社保卡号": "social_security_number",
    "村": "village",
    "村民小组": "group",
    "手机号": "phone",
    "锁定字段": "fixed_fields",
}
REQUIRED = ("姓名", "身份证号", "村")
#: What may be named in 锁定字段, by its heading.
FIXABLE = {"姓名": "real_name", "身份证号": "id_number", "社保卡号": "social_security_number",
           "村": "village", "村民小组": "group", "手机号": "phone"}  # fmt: skip
PHONE = re.compile(r"^1\d{10}$")
MAX_ROWS = 50000


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str


@dataclass(frozen=True)
class RegisterRow:
    row: int
    real_name: str
    id_number: str
    social_security_number: str
    village: Village
    group: VillageGroup | None
    phone: str
    fixed_fields: tuple[str, ...]


@dataclass
class RegisterReport:
    rows: list[RegisterRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    updated: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def table_read(data: bytes, filename: str) -> list[list[str]]:
    """Rows of cells as text; raises ValueError with a message for the person."""
    if data.startswith(b"PK\x03\x04"):
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # any parser failure: not a readable workbook
            raise ValueError(_("无法读取这个Excel文件，请另存为 .xlsx 后重试。")) from exc
        sheet = book.worksheets[0]
        rows = [[_cell(c) for c in row] for row in sheet.iter_rows(values_only=True)]
        book.close()
        return rows
    if filename.lower().endswith((".xlsx", ".xls")):
        raise ValueError(_("无法读取这个Excel文件，请另存为 .xlsx 后重试。"))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValueError(_("无法识别文件编码，请保存为 UTF-8 的 CSV 或 .xlsx 文件。"))
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]


def register_parse(data: bytes, filename: str, district: District) -> RegisterReport:
    report = RegisterReport()
    try:
        rows = table_read(data, filename)
    except ValueError as exc:
        report.errors.append(RowError(0, "", str(exc)))
        return report
    rows = [r for r in rows if any(c for c in r)]
    if not rows:
        report.errors.append(RowError(0, "", _("文件是空的。")))
        return report
    header = rows[0]
    missing = [h for h in REQUIRED if h not in header]
    if missing:
        report.errors.append(
            RowError(1, "", _("缺少必需的列：%(cols)s。") % {"cols": "、".join(missing)})
        )
        return report
    if len(rows) > MAX_ROWS + 1:
        report.errors.append(RowError(0, "", _("一次最多导入 %(n)d 行。") % {"n": MAX_ROWS}))
        return report
    index = {h: i for i, h in enumerate(header) if h in COLUMNS}
    villages = {v.name: v for v in Village.objects.filter(district=district)}
    groups: dict[tuple[int, str], VillageGroup] = {}
    for g in VillageGroup.objects.filter(village__district=district):
        groups[(g.village_id, g.name)] = g
        groups[(g.village_id, str(g.number))] = g
    seen: dict[str, int] = {}
    for number, cells in enumerate(rows[1:], start=2):

        def cell(heading: str, cells: list[str] = cells) -> str:
            i = index.get(heading)
            return cells[i] if i is not None and i < len(cells) else ""

        errors: list[RowError] = []
        name = cell("姓名")
        if not name:
            errors.append(RowError(number, "姓名", _("姓名不能为空。")))
        elif len(name) > 50:
            errors.append(RowError(number, "姓名", _("姓名过长。")))
        id_number = cell("身份证号").upper()
        if not id_number_is_valid(id_number):
            errors.append(
                RowError(number, "身份证号", _("身份证号无效（位数、日期或校验位不对）。"))
            )
        elif id_number in seen:
            errors.append(
                RowError(number, "身份证号", _("与第 %(row)d 行重复。") % {"row": seen[id_number]})
            )
        else:
            seen[id_number] = number
        ssn = cell("社保卡号")
        if len(ssn) > 20:
            errors.append(RowError(number, "社保卡号", _("社保卡号过长。")))
        village = villages.get(cell("村"))
        if village is None:
            errors.append(
                RowError(number, "村", _("本区没有名为“%(v)s”的村。") % {"v": cell("村")})
            )
        group: VillageGroup | None = None
        group_text = cell("村民小组")
        if group_text and village is not None:
            group = groups.get((village.pk, group_text))
            if group is None:
                errors.append(
                    RowError(
                        number,
                        "村民小组",
                        _("%(v)s没有“%(g)s”。") % {"v": village.name, "g": group_text},
                    )
                )
        phone = cell("手机号")
        if phone and not PHONE.match(phone):
            errors.append(RowError(number, "手机号", _("手机号应为 11 位数字。")))
        fixed: list[str] = []
        for part in re.split(r"[,，、;；\s]+", cell("锁定字段")):
            if not part:
                continue
            if part not in FIXABLE:
                errors.append(
                    RowError(
                        number,
                        "锁定字段",
                        _("“%(p)s”不是可锁定的字段（可填：%(ok)s）。")
                        % {"p": part, "ok": "、".join(FIXABLE)},
                    )
                )
            else:
                fixed.append(FIXABLE[part])
        if errors or village is None:
            report.errors.extend(errors)
            continue
        report.rows.append(
            RegisterRow(
                row=number,
                real_name=name,
                id_number=id_number,
                social_security_number=ssn,
                village=village,
                group=group,
                phone=phone,
                fixed_fields=tuple(dict.fromkeys(fixed)),
            )
        )
    return report
