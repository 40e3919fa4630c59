"""The audit action codes of every device fact, and the values their payloads use.

This is a contract with the oversight warnings (docs/device-protocol.md, "Audit events"):
each code below is written by exactly one service of the devices app (`services`,
`authorizations`, `emergency`, `stamps`, `alarms`), inside that service's transaction,
with a JSON ``after`` payload holding the ids (device serial, slot, seal id, request id,
authorization id) and the facts. Change a code or a key only
together with the rules that read it.
"""

from __future__ import annotations

DEVICE_ENROL = "device.enrol"
DEVICE_STATE = "device.state"  # after.change: suspend / retire / activate
STAMP_AUTHORIZATION_CREATE = "stamp_authorization.create"
STAMP_AUTHORIZATION_CONFIRM = "stamp_authorization.confirm"  # the second custodian
STAMP_AUTHORIZATION_REVOKE = "stamp_authorization.revoke"
STAMP_AUTHORIZATION_EXPIRE = "stamp_authorization.expire"
STAMP_EVENT_RECORD = "stamp_event.record"
DEVICE_ALARM = "device.alarm"
DEVICE_EMERGENCY_OPEN = "device.emergency_open"
DEVICE_EMERGENCY_APPROVED = "device.emergency_approved"

ALL_ACTIONS = (
    DEVICE_ENROL,
    DEVICE_STATE,
    STAMP_AUTHORIZATION_CREATE,
    STAMP_AUTHORIZATION_CONFIRM,
    STAMP_AUTHORIZATION_REVOKE,
    STAMP_AUTHORIZATION_EXPIRE,
    STAMP_EVENT_RECORD,
    DEVICE_ALARM,
    DEVICE_EMERGENCY_OPEN,
    DEVICE_EMERGENCY_APPROVED,
)

#: `device.state` → after.change
STATE_CHANGES = ("suspend", "retire", "activate")

#: `stamp_event.record` → after.status
STAMP_AUTHORIZED = "authorized"
STAMP_OVER_COUNT = "over_count"
STAMP_NO_GRANT = "no_grant"
STAMP_OUTSIDE_WINDOW = "outside_window"
STAMP_CODE_MISMATCH = "code_mismatch"
STAMP_STATUSES = (
    STAMP_AUTHORIZED,
    STAMP_OVER_COUNT,
    STAMP_NO_GRANT,
    STAMP_OUTSIDE_WINDOW,
    STAMP_CODE_MISMATCH,
)

#: `device.alarm` → after.kind
ALARM_TAMPER = "tamper"
ALARM_INK_LOW = "ink_low"
ALARM_UNLOCK_TOO_LONG = "unlock_too_long"
ALARM_STAMP_WITHOUT_GRANT = "stamp_without_grant"
ALARM_BATTERY_LOW = "battery_low"
ALARM_OFFLINE = "offline"
ALARM_SEQUENCE_GAP = "sequence_gap"
ALARM_CLOCK_SKEW = "clock_skew"
ALARM_KINDS = (
    ALARM_TAMPER,
    ALARM_INK_LOW,
    ALARM_UNLOCK_TOO_LONG,
    ALARM_STAMP_WITHOUT_GRANT,
    ALARM_BATTERY_LOW,
    ALARM_OFFLINE,
    ALARM_SEQUENCE_GAP,
    ALARM_CLOCK_SKEW,
)
#: Alarms a terminal may report itself; the others are raised by the server.
DEVICE_REPORTED_ALARMS = (
    ALARM_TAMPER,
    ALARM_INK_LOW,
    ALARM_UNLOCK_TOO_LONG,
    ALARM_STAMP_WITHOUT_GRANT,
    ALARM_BATTERY_LOW,
)
