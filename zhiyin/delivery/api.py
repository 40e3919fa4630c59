"""Delivery API: the bureau's acknowledgement (回执) of a delivery.

`POST /api/delivery/ack` with body `{"delivery_id": "msg_…"}` and Standard Webhooks
headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`) signed with the secret of
one of the bureau's endpoints. No session or token: the signature is the credential.
A bad signature answers 401 (`unauthorized`), a refused acknowledgement 400
(`refused`), both with the one error body of the API.
"""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from ninja import Router, Schema

from zhiyin.core.api import ApiError, OneOf, answers
from zhiyin.delivery.models import DeliveryStatus
from zhiyin.delivery.services import AcknowledgementRefused, delivery_acknowledge_signed

router = Router(tags=["delivery"])


class AckOut(Schema):
    """The delivery as it stands after the acknowledgement, and the receipt's number."""

    delivery_id: str
    status: Annotated[str, OneOf(DeliveryStatus)]
    receipt_id: int


@router.post(
    "/ack",
    auth=None,
    response=answers({200: AckOut}, 400, 401),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {"delivery_id": {"type": "string"}},
                        "required": ["delivery_id"],
                    }
                }
            },
        }
    },
)
def acknowledge(request: HttpRequest) -> AckOut:
    """The signed body is read raw (its bytes are what the signature covers)."""
    headers = {k.lower(): v for k, v in request.headers.items()}
    try:
        receipt = delivery_acknowledge_signed(body=request.body, headers=headers)
    except AcknowledgementRefused as exc:
        raise ApiError(401, "unauthorized", exc.message) from exc
    # any other RuleViolation becomes a 400 `refused` (zhiyin.api)
    return AckOut(
        delivery_id=receipt.delivery.webhook_id,
        status=receipt.delivery.status,
        receipt_id=receipt.pk,
    )
