"""The starter warning rules a district gets (plain data; the logic is in `rules.py`).

Names and bases follow what county supervision platforms publish (REFERENCE, oversight):
用印超时, 先盖后批, 审用不符, stamping outside the authorised time or count, rent under a
floor. Admins tune `parameters` afterwards; every change is versioned and audited.
"""

from __future__ import annotations

from typing import Any

_ORG_LAW = "《中华人民共和国村民委员会组织法》第二十四条"
_SEAL_RULES = "《村级组织印章管理办法》：印章使用须经审批、登记，专人保管，审用分离"

STARTER_RULES: list[dict[str, Any]] = [
    {
        "code": "step_overdue",
        "name": "审批环节超时",
        "misuse": "late",
        "severity": "medium",
        "parameters": {"grace_hours": 0},
        "basis": "村级用印审核时效：各环节须在规定时限内办结（嵌入监督）",
        "description": "审批环节超过办理时限仍未办结。",
    },
    {
        "code": "approved_never_sealed",
        "name": "批而未用",
        "misuse": "idle",
        "severity": "low",
        "parameters": {"days": 30},
        "basis": _SEAL_RULES,
        "description": "申请已批准，超过规定天数仍未用印，批文可能被挪作他用。",
    },
    {
        "code": "off_hours_use",
        "name": "非工作时间用印",
        "misuse": "private",
        "severity": "medium",
        "parameters": {"start": "08:00", "end": "18:00", "rest_days": True},
        "basis": _SEAL_RULES,
        "description": "在工作日工作时间以外（含节假日）用印。",
    },
    {
        "code": "stamp_over_count",
        "name": "超授权次数用印",
        "misuse": "over_count",
        "severity": "high",
        "parameters": {},
        "basis": _SEAL_RULES,
        "description": "智能印章记录的盖章次数超过授权次数。",
    },
    {
        "code": "stamp_outside_window",
        "name": "超授权时段用印",
        "misuse": "over_count",
        "severity": "high",
        "parameters": {},
        "basis": _SEAL_RULES,
        "description": "盖章时间不在授权时段内。",
    },
    {
        "code": "stamp_without_grant",
        "name": "先盖后批",
        "misuse": "stamp_first",
        "severity": "high",
        "parameters": {},
        "basis": _SEAL_RULES,
        "description": "智能印章在没有有效授权时盖章。",
    },
    {
        "code": "document_mismatch",
        "name": "审用不符",
        "misuse": "mismatch",
        "severity": "high",
        "parameters": {},
        "basis": _SEAL_RULES,
        "description": "所盖文件与审批通过的文件不一致（一次性校验码不符，或电子文件哈希不符）。",
    },
    {
        "code": "emergency_unapproved",
        "name": "先行用章未补批",
        "misuse": "stamp_first",
        "severity": "high",
        "parameters": {"hours": 48},
        "basis": _SEAL_RULES,
        "description": "紧急开锁用章后，超过规定时间仍未补办审批。",
    },
    {
        "code": "duties_conflict_attempt",
        "name": "审用分离冲突尝试",
        "misuse": "favour",
        "severity": "medium",
        "parameters": {},
        "basis": _SEAL_RULES,
        "description": "审批过申请的人试图为同一申请用印（已被系统拒绝，但属异常信号）。",
    },
    {
        "code": "unusual_frequency",
        "name": "用印频次异常",
        "misuse": "favour",
        "severity": "medium",
        "parameters": {"history_weeks": 8, "factor": 3, "min_uses": 5},
        "basis": _SEAL_RULES,
        "description": "一枚印章近七天的用印次数远高于其以往每周平均。",
    },
    {
        "code": "applicant_burst",
        "name": "短期重复申请",
        "misuse": "favour",
        "severity": "low",
        "parameters": {"hours": 24, "count": 3},
        "basis": _SEAL_RULES,
        "description": "同一经办人短时间内就同一事项多次提交申请（拆分或人情章信号）。",
    },
    {
        "code": "resolution_missing",
        "name": "未附村民会议决议",
        "misuse": "no_resolution",
        "severity": "high",
        "parameters": {"keyword": "决议"},
        "basis": _ORG_LAW + "：涉及村民利益的事项须经村民会议讨论决定",
        "description": "须经村民（代表）会议决议的事项，用印时没有决议附件。",
    },
    {
        "code": "rent_below_floor",
        "name": "土地承包租金低于底线",
        "misuse": "low_rent",
        "severity": "high",
        "parameters": {
            "floor_yuan_per_mu_year": 5000,
            "matter_keywords": ["承包", "流转", "租赁", "发包", "出租"],
        },
        "basis": "区集体土地发包指导价：不低于 5000 元/亩/年",
        "description": "土地承包、流转或租赁合同申请中写明的租金低于区定底价。",
    },
    {
        "code": "device_alarm",
        "name": "智能印章设备告警",
        "misuse": "device",
        "severity": "high",
        "parameters": {
            "kinds": ["tamper", "offline", "sequence_gap", "unlock_too_long", "clock_skew"],
            "offline_minutes": 60,
        },
        "basis": _SEAL_RULES + "；智能印章须在线、完整记录每次用印",
        "description": "设备被拆、离线过久、记录断号、开锁过久或时钟偏差。",
    },
]
