"""How a one-time login code reaches a phone: through the one SMS interface
(`zhiyin.delivery.sms.SmsSender`), with the sender `settings.PORTAL_CODE_SENDER` names
(by default the one notifications use, `SMS_SENDER`). The development senders only print
or log the text (and the page shows the code in a notice while DEBUG is on); with
`DEBUG=false` start-up refuses them.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils.translation import gettext as _

from zhiyin.delivery.sms import SmsError, SmsReceipt, phone_masked, sms_sender

logger = logging.getLogger("zhiyin.portal")


def login_code_text(code: str) -> str:
    """The text message carrying a login code."""
    return _("【智印】您的登录验证码是 %(code)s，5 分钟内有效。请勿告诉他人。") % {"code": code}


def login_code_deliver(*, phone: str, code: str) -> SmsReceipt | None:
    """Send the code (after the code's row committed). A gateway failure is logged with
    what the gateway answered and returns None: the resident asks again after a minute."""
    try:
        receipt = sms_sender(settings.PORTAL_CODE_SENDER).send_sms(
            phone=phone, text=login_code_text(code)
        )
    except SmsError as exc:
        logger.error(
            "login code for %s not sent after %s attempt(s): %s",
            phone_masked(phone),
            exc.attempts,
            exc,
        )
        return None
    logger.info("login code for %s: %s", phone_masked(phone), receipt.note[:100])
    return receipt
