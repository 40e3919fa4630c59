"""Delivery API: the bureau's acknowledgement (回执) of a delivery.

`POST /api/delivery/ack` with body `{"delivery_id": "msg_…"}` and Standard Webhooks
headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`) signed with the secret of
one of the bureau's endpoints. No session or token: the signature is the credential.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema, Status

from zhiyin.core.errors import RuleViolation
from zhiyin.delivery.services import AcknowledgementRefused, delivery_acknowledge_signed

router = Router(tags=["delivery"])


class AckOut(Schema):
    delivery_id: str
    status: str
    receipt_id: int


class Problem(Schema):
    detail: str


@router.post("/ack", auth=None, response={200: AckOut, 400: Problem, 401: Problem})
def acknowledge(request: HttpRequest) -> Status[AckOut | Problem]:
    headers = {k.lower(): v for k, v in request.headers.items()}
    try:
        receipt = delivery_acknowledge_signed(body=request.body, headers=headers)
    except AcknowledgementRefused as exc:
        return Status(401, Problem(detail=exc.message))
    except RuleViolation as exc:
        return Status(400, Problem(detail=exc.message))
    return Status(
        200,
        AckOut(
            delivery_id=receipt.delivery.webhook_id,
            status=receipt.delivery.status,
            receipt_id=receipt.pk,
        ),
    )
