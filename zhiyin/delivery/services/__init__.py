"""Every write of `delivery`, one module per purpose: `notices` (`notify`, the one way a
domain service tells a person something; reading, closing, preferences), `endpoints`
(bureaus' receiving URLs) and `deliveries` (to bureaus: outbox, receipts, replays,
signed document links).

Called inside the transaction of the change they report, so nobody is told about a
decision that was rolled back; what leaves the building goes through the outbox
(`zhiyin.delivery.outbox`), sent by a worker after commit.
"""

from zhiyin.delivery.services.deliveries import (
    EVENT_DOCUMENT_SEALED,
    AcknowledgementRefused,
    DocumentRef,
    delivery_acknowledge_inbox,
    delivery_acknowledge_signed,
    delivery_create,
    delivery_document_sealed,
    delivery_download_record,
    delivery_receipt_record,
    delivery_replay,
    document_link,
    document_link_open,
    document_link_token,
    retry_schedule,
)
from zhiyin.delivery.services.endpoints import (
    endpoint_register,
    endpoint_secret_generate,
    endpoint_update,
)
from zhiyin.delivery.services.notices import (
    Notice,
    notices_send,
    notification_channels,
    notification_mark_read,
    notification_preference_set,
    notifications_close,
    notify,
    notify_all,
)

__all__ = [
    "EVENT_DOCUMENT_SEALED",
    "AcknowledgementRefused",
    "DocumentRef",
    "Notice",
    "delivery_acknowledge_inbox",
    "delivery_acknowledge_signed",
    "delivery_create",
    "delivery_document_sealed",
    "delivery_download_record",
    "delivery_receipt_record",
    "delivery_replay",
    "document_link",
    "document_link_open",
    "document_link_token",
    "endpoint_register",
    "endpoint_secret_generate",
    "endpoint_update",
    "notices_send",
    "notification_channels",
    "notification_mark_read",
    "notification_preference_set",
    "notifications_close",
    "notify",
    "notify_all",
    "retry_schedule",
]
