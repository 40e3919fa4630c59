"""Every change to a seal request: one function per transition, atomic and audited,
one module per purpose — `drafting` (create, edit, submit), `deciding` (approve,
return, reject, withdraw, opening a document), `reminders` (催办 and the overdue sweep),
`completion` (a custodian's completion under 审用分离). Reads, such as who holds a
step, live in `zhiyin.approvals.selectors`.

Concurrency: every transition first locks the request row (`select_for_update`; on
SQLite the settings' BEGIN IMMEDIATE already serializes writers) and re-reads its
status, so two people deciding the same step at the same moment produce one outcome
and the other gets a plain refusal.

Separation of duties lives here, not in the pages: the applicant never decides their
own request, a two-approver step needs two different people, and nobody who decided a
request may complete it as custodian.

Other apps import the transitions from this package; the names below are its interface.
"""

from zhiyin.approvals.services.completion import (
    DutiesConflict,
    duties_attempt_record,
    seal_request_complete,
    seal_request_complete_checked,
)
from zhiyin.approvals.services.deciding import (
    document_view_record,
    seal_request_approve,
    seal_request_decide,
    seal_request_reject,
    seal_request_return,
    seal_request_withdraw,
)
from zhiyin.approvals.services.drafting import (
    seal_request_create,
    seal_request_submit,
    seal_request_update,
)
from zhiyin.approvals.services.reminders import (
    approval_step_overdue_notify,
    seal_request_remind,
)

__all__ = [
    "DutiesConflict",
    "approval_step_overdue_notify",
    "document_view_record",
    "duties_attempt_record",
    "seal_request_approve",
    "seal_request_complete",
    "seal_request_complete_checked",
    "seal_request_create",
    "seal_request_decide",
    "seal_request_reject",
    "seal_request_remind",
    "seal_request_return",
    "seal_request_submit",
    "seal_request_update",
    "seal_request_withdraw",
]
