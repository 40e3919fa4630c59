"""The permission matrix: every route the project serves, and the answer each persona gets.

Columns (`PERSONAS`, in this order): anonymous; in 水南村 the resident the records belong to,
the clerk, the leader of group 1, the secretary, a custodian, the district inspector, the
village admin and the bureau's officer; then the same roles in 北岭村 (clerk, secretary,
admin); a resident of another household (北岭村); last the district's three administrators
(三员分立): the system admin, the security admin and the audit admin. The objects are those
of `matrix_world.matrix_ids`: all in 水南村.

A row's answers are HTTP status codes, one per persona, separated by spaces. A POST is sent
empty (and rolled back): the answer shows whether the persona got past the permission check
(a form error, 400 or a redirect with a message) or not (403/404, or 302 to the login page).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from conftest import World
from zhiyin.orgs.models import Person

PERSONAS: tuple[str, ...] = (
    "anon",
    "sn_resident",
    "sn_clerk",
    "sn_leader1",
    "sn_secretary",
    "sn_custodian1",
    "inspector",
    "sn_admin",
    "officer",
    "bl_clerk",
    "bl_secretary",
    "bl_admin",
    "bl_resident",
    "district_admin",
    "security_admin",
    "audit_admin",
)
ANSWERS_HELP = f"{len(PERSONAS)} status codes: " + " ".join(PERSONAS)


def persona(world: World, name: str) -> Person | None:
    """The person in a column (None: anonymous)."""
    if name == "anon":
        return None
    person: Person = getattr(world, name)
    return person


def answers_text(statuses: dict[str, int]) -> str:
    return " ".join(str(statuses[name]) for name in PERSONAS)


@dataclass(frozen=True)
class Row:
    method: str
    url: str  # with {village}, {request}, … from matrix_world.matrix_ids
    expected: str
    data: dict[str, str] | None = None  # a POST's form (pages) or JSON body (API; default {})


ROUTES: dict[str, Row] = {
    # orgs, accounts
    "accounts_enrol": Row(
        "GET",
        "/accounts/2fa/enrol/",
        "302 200 200 200 200 200 200 200 200 200 200 200 200 200 200 200",
    ),
    "accounts_second_factor": Row(
        "GET", "/accounts/2fa/", "302 302 302 200 200 200 200 200 302 302 200 200 302 200 200 200"
    ),
    "verify_code_thumbnail": Row(
        "GET",
        "/verify/c/{missing}/page-1.png",
        "404 404 404 404 404 404 404 404 404 404 404 404 404 404 404 404",
    ),
    "verify_code": Row(
        "GET",
        "/verify/c/{missing}/",
        "404 404 404 404 404 404 404 404 404 404 404 404 404 404 404 404",
    ),
    "GET /api/verify/code/{code}": Row(
        "GET",
        "/api/verify/code/{missing}",
        "404 404 404 404 404 404 404 404 404 404 404 404 404 404 404 404",
    ),
    "accounts_lockouts": Row(
        "GET",
        "/accounts/lockouts/",
        "302 403 403 403 403 403 403 403 403 403 403 403 403 403 200 403",
    ),
    "accounts_lockout_clear": Row(
        "POST",
        "/accounts/lockouts/clear/",
        "302 403 403 403 403 403 403 403 403 403 403 403 403 403 302 403",
    ),
    "home": Row("GET", "/", "302 200 200 200 200 200 200 200 200 200 200 200 200 200 200 200"),
    "display_large_text": Row(
        "POST",
        "/display/large-text/",
        "302 302 302 302 302 302 302 302 302 302 302 302 302 302 302 302",
    ),
    "accounts_security": Row(
        "GET",
        "/accounts/security/",
        "302 200 200 200 200 200 200 200 200 200 200 200 200 200 200 200",
    ),
    "accounts_recovery_codes": Row(
        "GET",
        "/accounts/security/recovery-codes/",
        "302 302 302 200 200 200 200 200 302 302 200 200 302 200 200 200",
    ),
    "accounts_security_key_remove": Row(
        "POST",
        "/accounts/security/keys/{missing}/remove/",
        "302 302 302 302 302 302 302 302 302 302 302 302 302 302 302 302",
    ),
    # The WebAuthn ceremonies (JSON; an empty body): refused (403) to the anonymous;
    # registration needs an authenticator app already (the privileged staff here), a
    # sign-in with a key only a password first. An empty body is bad input (400).
    "otp_webauthn:credential-registration-begin": Row(
        "POST",
        "/accounts/2fa/webauthn/registration/begin/",
        "403 403 403 200 200 200 200 200 403 403 200 200 403 200 200 200",
    ),
    "otp_webauthn:credential-registration-complete": Row(
        "POST",
        "/accounts/2fa/webauthn/registration/complete/",
        "403 403 403 400 400 400 400 400 403 403 400 400 403 400 400 400",
    ),
    "otp_webauthn:credential-authentication-begin": Row(
        "POST",
        "/accounts/2fa/webauthn/authentication/begin/",
        "403 200 200 200 200 200 200 200 200 200 200 200 200 200 200 200",
    ),
    "otp_webauthn:credential-authentication-complete": Row(
        "POST",
        "/accounts/2fa/webauthn/authentication/complete/",
        "403 400 400 400 400 400 400 400 400 400 400 400 400 400 400 400",
    ),
    "otp_webauthn:js-i18n-catalog": Row(
        "GET",
        "/accounts/2fa/webauthn/jsi18n/",
        "200 200 200 200 200 200 200 200 200 200 200 200 200 200 200 200",
    ),
    "accounts_session_end": Row(
        "POST",
        "/accounts/security/sessions/{missing}/end/",
        "302 302 302 302 302 302 302 302 302 302 302 302 302 302 302 302",
    ),
    "accounts_sessions_end_all": Row(
        "POST",
        "/accounts/security/sessions/end-all/",
        "302 302 302 302 302 302 302 302 302 302 302 302 302 302 302 302",
    ),
    "accounts_staff_factors": Row(
        "GET",
        "/accounts/staff/",
        "302 403 403 403 403 403 403 403 403 403 403 403 403 403 200 403",
    ),
    "accounts_second_factor_reset": Row(
        "POST",
        "/accounts/staff/{missing}/second-factor/reset/",
        "302 403 403 403 403 403 403 403 403 403 403 403 403 403 404 403",
    ),
    "accounts_security_log": Row(
        "GET",
        "/accounts/security-log/",
        "302 403 403 403 403 403 403 403 403 403 403 403 403 403 403 200",
    ),
    "village_detail": Row(
        "GET",
        "/villages/{village}/",
        "302 404 200 200 200 200 200 200 404 404 404 404 404 200 404 404",
    ),
    "login": Row(
        "GET", "/accounts/login/", "200 302 302 302 302 302 302 302 302 302 302 302 302 302 302 302"
    ),
    "resident_personal_data": Row(
        "GET",
        "/villages/{village}/residents/{resident}/personal-data/",
        "302 404 200 200 200 200 200 200 404 404 404 404 404 200 404 404",
    ),
    "POST resident_personal_data": Row(
        "POST",
        "/villages/{village}/residents/{resident}/personal-data/",
        "302 404 400 400 400 400 400 400 404 404 404 404 404 400 404 404",
    ),
    "password_change": Row(
        "GET",
        "/accounts/password/",
        "302 200 200 200 200 200 200 200 200 200 200 200 200 200 200 200",
    ),
    "logout": Row(
        "POST",
        "/accounts/logout/",
        "302 302 302 302 302 302 302 302 302 302 302 302 302 302 302 302",
    ),
    "set_language": Row(
        "POST", "/i18n/setlang/", "302 302 302 302 302 302 302 302 302 302 302 302 302 302 302 302"
    ),
    # seals
    "seal_list": Row(
        "GET", "/seals/", "302 200 200 200 200 200 200 200 200 200 200 200 200 200 200 200"
    ),
    "seal_detail": Row(
        "GET", "/seals/{seal}/", "302 404 200 404 200 200 200 200 404 404 404 404 404 200 404 404"
    ),
    "seal_status_change": Row(
        "POST",
        "/seals/{seal}/status/",
        "302 404 403 404 403 403 403 302 404 404 404 404 404 302 404 404",
    ),
    "electronic_seal_issue": Row(
        "POST",
        "/seals/{seal}/electronic/",
        "302 404 403 404 403 403 403 302 404 404 404 404 404 302 404 404",
    ),
    "seal_stamp": Row(
        "GET",
        "/seals/{seal}/stamp.png",
        "302 404 200 404 200 200 200 200 404 404 404 404 404 200 404 404",
    ),
    "pki_crl": Row(
        "GET",
        "/pki/crl/{code}.crl",
        "200 200 200 200 200 200 200 200 200 200 200 200 200 200 200 200",
    ),
    "pki_root": Row(
        "GET",
        "/pki/root/{code}.crt",
        "200 200 200 200 200 200 200 200 200 200 200 200 200 200 200 200",
    ),
    "pki_root_pem": Row(
        "GET",
        "/pki/root/{code}.pem",
        "200 200 200 200 200 200 200 200 200 200 200 200 200 200 200 200",
    ),
    # catalog
    "matter_list": Row(
        "GET", "/catalog/", "302 403 200 200 200 200 200 200 200 200 200 200 403 200 200 200"
    ),
    "matter_detail": Row(
        "GET",
        "/catalog/{matter}/",
        "302 403 200 200 200 200 200 200 200 200 200 200 403 200 200 200",
    ),
    "negative_list": Row(
        "GET",
        "/catalog/negative-list/",
        "200 200 200 200 200 200 200 200 200 200 200 200 200 200 200 200",
    ),
    # approvals
    "seal_request_list": Row(
        "GET", "/requests/", "302 200 200 200 200 200 200 200 200 200 200 200 200 200 200 200"
    ),
    "inbox": Row(
        "GET", "/requests/inbox/", "302 200 200 200 200 200 200 200 200 200 200 200 200 200 200 200"
    ),
    "seal_request_create": Row(
        "GET", "/requests/new/", "302 404 200 404 404 200 404 404 404 200 404 404 404 404 404 404"
    ),
    "seal_request_detail": Row(
        "GET",
        "/requests/{request}/",
        "302 200 200 200 200 200 200 200 404 404 404 404 404 200 404 404",
    ),
    "seal_request_edit": Row(
        "GET",
        "/requests/{request}/edit/",
        "302 404 404 404 404 404 404 404 404 404 404 404 404 404 404 404",
    ),
    "seal_request_submit": Row(
        "POST",
        "/requests/{request}/submit/",
        "302 302 302 302 302 302 302 302 404 404 404 404 404 302 404 404",
    ),
    "seal_request_decide": Row(
        "POST",
        "/requests/{request}/decide/",
        "302 302 302 302 302 302 302 302 404 404 404 404 404 302 404 404",
        {"decision": "approve", "comment": ""},
    ),
    "seal_request_withdraw": Row(
        "POST",
        "/requests/{request}/withdraw/",
        "302 302 302 302 302 302 302 302 404 404 404 404 404 302 404 404",
        {"reason": "矩阵"},
    ),
    "seal_request_remind": Row(
        "POST",
        "/requests/{request}/remind/",
        "302 302 302 302 302 302 302 302 404 404 404 404 404 302 404 404",
    ),
    "seal_request_complete": Row(
        "POST",
        "/requests/{sealed_request}/complete/",
        "302 302 302 302 302 302 302 302 404 404 404 404 404 302 404 404",
    ),
    "seal_request_document": Row(
        "GET",
        "/requests/{request}/documents/{document}/",
        "302 200 200 200 200 200 200 200 404 404 404 404 404 200 404 404",
    ),
    "seal_request_document_page": Row(
        "GET",
        "/requests/{request}/documents/{document}/pages/0.png",
        "302 200 200 200 200 200 200 200 404 404 404 404 404 200 404 404",
    ),
    "seal_request_attachment": Row(
        "GET",
        "/requests/{request}/attachments/{attachment}/",
        "302 200 200 200 200 200 200 200 404 404 404 404 404 200 404 404",
    ),
    # sealing
    "sealing_index": Row(
        "GET", "/sealing/", "302 200 200 200 200 200 200 200 200 200 200 200 200 200 200 200"
    ),
    "sealing_request": Row(
        "GET",
        "/sealing/requests/{sealed_request}/",
        "302 403 403 403 403 200 403 403 404 404 404 404 404 403 404 404",
    ),
    "sealing_page_preview": Row(
        "GET",
        "/sealing/requests/{sealed_request}/documents/{sealed_source}/pages/1.png",
        "302 403 403 403 403 404 403 403 404 404 404 404 404 403 404 404",
    ),
    "sealed_document_page": Row(
        "GET",
        "/sealing/documents/{sealed}/pages/0.png",
        "302 200 200 404 200 200 200 404 404 404 404 404 404 404 404 404",
    ),
    "sealed_document_download": Row(
        "GET",
        "/sealing/documents/{sealed}/download/",
        "302 200 200 404 200 200 200 404 404 404 404 404 404 404 404 404",
    ),
    "verify": Row(
        "GET", "/verify/", "200 200 200 200 200 200 200 200 200 200 200 200 200 200 200 200"
    ),
    "verify_number": Row(
        "GET",
        "/verify/{number}/",
        "200 200 200 200 200 200 200 200 200 200 200 200 200 200 200 200",
    ),
    # oversight
    "audit_trace": Row(
        "GET",
        "/audit/trace/approvals.sealrequest/{request}/",
        "302 200 200 404 404 404 200 200 404 404 404 404 404 200 404 200",
    ),
    "audit_trace_export": Row(
        "GET",
        "/audit/trace/approvals.sealrequest/{request}/bundle.json",
        "302 403 200 404 404 404 200 200 404 404 404 404 403 200 404 200",
    ),
    "audit_trace_pdf": Row(
        "GET",
        "/audit/trace/approvals.sealrequest/{request}/trace.pdf",
        "302 403 200 404 404 404 200 200 404 404 404 404 403 200 404 200",
    ),
    # delivery
    "bureau_inbox": Row(
        "GET", "/bureau/", "302 403 403 403 403 403 403 403 200 403 403 403 403 403 403 403"
    ),
    "bureau_delivery_detail": Row(
        "GET",
        "/bureau/{delivery}/",
        "302 403 403 403 403 403 403 403 200 403 403 403 403 403 403 403",
    ),
    "bureau_delivery_document": Row(
        "GET",
        "/bureau/{delivery}/document/",
        "302 403 403 403 403 403 403 403 200 403 403 403 403 403 403 403",
    ),
    "bureau_delivery_acknowledge": Row(
        "POST",
        "/bureau/{delivery}/acknowledge/",
        "302 403 403 403 403 403 403 403 302 403 403 403 403 403 403 403",
    ),
    "notification_list": Row(
        "GET", "/notifications/", "302 200 200 200 200 200 200 200 200 200 200 200 200 200 200 200"
    ),
    "notification_open": Row(
        "GET",
        "/notifications/{notification}/",
        "302 302 404 404 404 404 404 404 404 404 404 404 404 404 404 404",
    ),
    "notification_read": Row(
        "POST",
        "/notifications/read/",
        "302 302 302 302 302 302 302 302 302 302 302 302 302 302 302 302",
    ),
    "notification_preferences": Row(
        "POST",
        "/notifications/preferences/",
        "302 302 302 302 302 302 302 302 302 302 302 302 302 302 302 302",
    ),
    "delivery_document": Row(
        "GET",
        "/delivery/documents/{token}/",
        "200 200 200 200 200 200 200 200 200 200 200 200 200 200 200 200",
    ),
    # portal
    "portal_home": Row(
        "GET", "/portal/", "302 200 403 403 403 403 403 403 403 403 403 403 200 403 403 403"
    ),
    "portal_login": Row(
        "GET", "/portal/login/", "200 302 302 302 302 302 302 302 302 302 302 302 302 302 302 302"
    ),
    "portal_idp_start": Row(
        "GET",
        "/portal/login/idp/",
        "403 403 403 403 403 403 403 403 403 403 403 403 403 403 403 403",
    ),
    "portal_idp_callback": Row(
        "GET",
        "/portal/login/idp/callback/",
        "403 403 403 403 403 403 403 403 403 403 403 403 403 403 403 403",
    ),
    "portal_ask": Row(
        "GET", "/portal/ask/", "302 200 403 403 403 403 403 403 403 403 403 403 200 403 403 403"
    ),
    "portal_my_data": Row(
        "GET", "/portal/my-data/", "302 200 403 403 403 403 403 403 403 403 403 403 200 403 403 403"
    ),
    "portal_service": Row(
        "GET",
        "/portal/services/{service}/",
        "302 200 403 403 403 403 403 403 403 403 403 403 200 403 403 403",
    ),
    "portal_step": Row(
        "GET",
        "/portal/services/{service}/step/1/",
        "302 200 403 403 403 403 403 403 403 403 403 403 200 403 403 403",
    ),
    "portal_confirm": Row(
        "GET",
        "/portal/services/{service}/confirm/",
        "302 200 403 403 403 403 403 403 403 403 403 403 200 403 403 403",
    ),
    "portal_application": Row(
        "GET",
        "/portal/applications/{application}/",
        "302 200 404 404 404 404 404 404 404 404 404 404 404 404 404 404",
    ),
    "portal_application_edit": Row(
        "POST",
        "/portal/applications/{application}/edit/",
        "302 302 404 404 404 404 404 404 404 404 404 404 404 404 404 404",
    ),
    "portal_application_withdraw": Row(
        "POST",
        "/portal/applications/{application}/withdraw/",
        "302 302 404 404 404 404 404 404 404 404 404 404 404 404 404 404",
    ),
    "portal_file": Row(
        "GET",
        "/portal/applications/{application}/files/{application_file}/",
        "302 200 200 404 404 404 404 404 404 404 404 404 404 404 404 404",
    ),
    "portal_clerk": Row(
        "GET", "/portal/clerk/", "302 403 200 403 403 403 403 403 403 200 403 403 403 403 403 403"
    ),
    "portal_clerk_application": Row(
        "GET",
        "/portal/clerk/applications/{application}/",
        "302 403 200 403 403 403 403 403 403 404 403 403 403 403 403 403",
    ),
    "portal_register_import": Row(
        "GET",
        "/portal/register/import/",
        "302 403 403 403 403 403 403 403 403 403 403 403 403 200 403 403",
    ),
    # devices. Rows with {missing} visit an object that does not exist (the matrix world has
    # no terminal, authorization, warning or ledger export yet): they prove the gate in
    # front of the page (login, role) and that nobody gets a 500, not the scoping itself.
    "device_list": Row(
        "GET", "/devices/", "302 404 404 404 404 200 200 200 404 404 404 200 404 200 404 404"
    ),
    "device_create": Row(
        "GET", "/devices/new/", "302 404 404 404 404 404 404 200 404 404 404 200 404 200 404 404"
    ),
    "device_detail": Row(
        "GET",
        "/devices/{missing}/",
        "302 404 404 404 404 404 404 404 404 404 404 404 404 404 404 404",
    ),
    "device_manage": Row(
        "POST",
        "/devices/{missing}/manage/",
        "302 404 404 404 404 404 404 404 404 404 404 404 404 404 404 404",
    ),
    "device_emergency": Row(
        "POST",
        "/devices/{missing}/emergency/",
        "302 404 404 404 404 404 404 404 404 404 404 404 404 404 404 404",
    ),
    "device_request": Row(
        "GET",
        "/devices/requests/{request}/",
        "302 200 200 200 200 200 200 200 404 404 404 404 404 200 404 404",
    ),
    "device_request_authorize": Row(
        "POST",
        "/devices/requests/{request}/authorize/",
        "302 302 302 302 302 302 302 302 404 404 404 404 404 302 404 404",
    ),
    "device_authorization_confirm": Row(
        "POST",
        "/devices/authorizations/{missing}/confirm/",
        "302 404 404 404 404 404 404 404 404 404 404 404 404 404 404 404",
    ),
    "device_authorization_revoke": Row(
        "POST",
        "/devices/authorizations/{missing}/revoke/",
        "302 404 404 404 404 404 404 404 404 404 404 404 404 404 404 404",
    ),
    "device_emergency_approve": Row(
        "POST",
        "/devices/authorizations/{missing}/approve/",
        "302 404 404 404 404 404 404 404 404 404 404 404 404 404 404 404",
    ),
    "device_authorization_sheet": Row(
        "GET",
        "/devices/authorizations/{missing}/sheet/",
        "302 404 404 404 404 404 404 404 404 404 404 404 404 404 404 404",
    ),
    "device_photo": Row(
        "GET",
        "/devices/photos/{sha256}",
        "302 404 404 404 404 404 404 404 404 404 404 404 404 404 404 404",
    ),
    # the terminals' own protocol (signed by the device; a person's session means nothing)
    "device_api_enrol": Row(
        "POST",
        "/api/devices/v1/enrol",
        "400 400 400 400 400 400 400 400 400 400 400 400 400 400 400 400",
    ),
    "device_api_hello": Row(
        "POST",
        "/api/devices/v1/hello",
        "400 400 400 400 400 400 400 400 400 400 400 400 400 400 400 400",
    ),
    "device_api_events": Row(
        "POST",
        "/api/devices/v1/events",
        "400 400 400 400 400 400 400 400 400 400 400 400 400 400 400 400",
    ),
    "device_api_commands": Row(
        "GET",
        "/api/devices/v1/commands",
        "405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 405",
    ),
    "device_api_photo": Row(
        "POST",
        "/api/devices/v1/photos/{sha256}",
        "405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 405",
    ),
    "device_api_time": Row(
        "GET",
        "/api/devices/v1/time",
        "200 200 200 200 200 200 200 200 200 200 200 200 200 200 200 200",
    ),
    # oversight: warnings, statistics, ledgers
    "oversight_workbench": Row(
        "GET", "/oversight/", "302 403 403 403 200 403 200 403 403 403 200 403 403 403 403 403"
    ),
    "oversight_warning": Row(
        "GET",
        "/oversight/warnings/{missing}/",
        "302 404 404 404 404 404 404 404 404 404 404 404 404 404 404 404",
    ),
    "oversight_warning_rectify": Row(
        "POST",
        "/oversight/warnings/{missing}/rectify/",
        "302 404 404 404 404 404 404 404 404 404 404 404 404 404 404 404",
    ),
    "oversight_warning_close": Row(
        "POST",
        "/oversight/warnings/{missing}/close/",
        "302 404 404 404 404 404 404 404 404 404 404 404 404 404 404 404",
    ),
    "oversight_warning_dismiss": Row(
        "POST",
        "/oversight/warnings/{missing}/dismiss/",
        "302 404 404 404 404 404 404 404 404 404 404 404 404 404 404 404",
    ),
    "oversight_warning_dismiss_decide": Row(
        "POST",
        "/oversight/warnings/{missing}/dismiss/decide/",
        "302 404 404 404 404 404 404 404 404 404 404 404 404 404 404 404",
    ),
    "oversight_evidence": Row(
        "GET",
        "/oversight/warnings/{missing}/evidence/{missing}/",
        "302 404 404 404 404 404 404 404 404 404 404 404 404 404 404 404",
    ),
    "oversight_statistics": Row(
        "GET",
        "/oversight/statistics/",
        "302 403 403 403 200 403 200 200 403 403 200 200 403 200 403 403",
    ),
    "oversight_ledger": Row(
        "GET",
        "/oversight/ledger/",
        "302 403 403 403 200 403 200 200 403 403 200 200 403 200 403 403",
    ),
    "oversight_ledger_export_create": Row(
        "POST",
        "/oversight/ledger/exports/",
        "302 403 403 403 302 403 302 302 403 403 302 302 403 302 403 403",
    ),
    "oversight_ledger_export": Row(
        "GET",
        "/oversight/ledger/exports/{missing}/",
        "302 404 404 404 404 404 404 404 404 404 404 404 404 404 404 404",
    ),
    "oversight_ledger_export_download": Row(
        "GET",
        "/oversight/ledger/exports/{missing}/download/",
        "302 404 404 404 404 404 404 404 404 404 404 404 404 404 404 404",
    ),
    "public_ledger": Row(
        "GET",
        "/public/ledger/{village_code}/",
        "200 200 200 200 200 200 200 200 200 200 200 200 200 200 200 200",
    ),
    # worker
    "healthz": Row(
        "GET", "/healthz", "503 503 503 503 503 503 503 503 503 503 503 503 503 503 503 503"
    ),
    # the JSON API
    "api:api-root": Row(
        "GET", "/api/", "404 404 404 404 404 404 404 404 404 404 404 404 404 404 404 404"
    ),
    "api:openapi-json": Row(
        "GET",
        "/api/openapi.json",
        "200 200 200 200 200 200 200 200 200 200 200 200 200 200 200 200",
    ),
    "api:openapi-view": Row(
        "GET", "/api/docs", "200 200 200 200 200 200 200 200 200 200 200 200 200 200 200 200"
    ),
    "GET /api/audit/key": Row(
        "GET", "/api/audit/key", "401 404 404 404 404 404 200 200 404 404 404 200 404 200 404 200"
    ),
    "GET /api/audit/checkpoints": Row(
        "GET",
        "/api/audit/checkpoints",
        "401 404 404 404 404 404 200 200 404 404 404 200 404 200 404 200",
    ),
    "GET /api/audit/checkpoints/latest": Row(
        "GET",
        "/api/audit/checkpoints/latest",
        "401 404 404 404 404 404 200 200 404 404 404 200 404 200 404 200",
    ),
    "GET /api/audit/events/{seq}/inclusion": Row(
        "GET",
        "/api/audit/events/{seq}/inclusion?log={log}",
        "401 404 404 404 404 404 200 200 404 404 404 404 404 200 404 200",
    ),
    "GET /api/audit/consistency": Row(
        "GET",
        "/api/audit/consistency?first={tree_size}&second={tree_size}",
        "401 404 404 404 404 404 200 200 404 404 404 200 404 200 404 200",
    ),
    "GET /api/requests/": Row(
        "GET", "/api/requests/", "401 200 200 200 200 200 200 200 200 200 200 200 200 200 200 200"
    ),
    "POST /api/requests/": Row(
        "POST", "/api/requests/", "401 422 422 422 422 422 422 422 422 422 422 422 422 422 422 422"
    ),
    "GET /api/requests/inbox": Row(
        "GET",
        "/api/requests/inbox",
        "401 200 200 200 200 200 200 200 200 200 200 200 200 200 200 200",
    ),
    "GET /api/requests/{pk}": Row(
        "GET",
        "/api/requests/{request}",
        "401 200 200 200 200 200 200 200 404 404 404 404 404 200 404 404",
    ),
    "POST /api/requests/{pk}/submit": Row(
        "POST",
        "/api/requests/{request}/submit",
        "401 400 400 400 400 400 400 400 404 404 404 404 404 400 404 404",
    ),
    "POST /api/requests/{pk}/decide": Row(
        "POST",
        "/api/requests/{request}/decide",
        "401 400 400 400 400 400 400 400 404 404 404 404 404 400 404 404",
        {"decision": "approve"},
    ),
    "POST /api/requests/{pk}/withdraw": Row(
        "POST",
        "/api/requests/{request}/withdraw",
        "401 200 200 400 400 400 400 400 404 404 404 404 404 400 404 404",
        {"reason": "矩阵"},
    ),
    "POST /api/requests/{pk}/remind": Row(
        "POST",
        "/api/requests/{request}/remind",
        "401 400 200 400 400 400 400 400 404 404 404 404 404 400 404 404",
    ),
    "GET /api/requests/{pk}/documents/{document_pk}": Row(
        "GET",
        "/api/requests/{request}/documents/{document}",
        "401 200 200 200 200 200 200 200 404 404 404 404 404 200 404 404",
    ),
    "GET /api/catalog/matters": Row(
        "GET",
        "/api/catalog/matters",
        "401 403 200 200 200 200 200 200 200 200 200 200 403 200 200 200",
    ),
    "GET /api/catalog/matters/{pk}": Row(
        "GET",
        "/api/catalog/matters/{matter}",
        "401 403 200 200 200 200 200 200 200 200 200 200 403 200 200 200",
    ),
    "GET /api/catalog/negative-list": Row(
        "GET",
        "/api/catalog/negative-list",
        "200 200 200 200 200 200 200 200 200 200 200 200 200 200 200 200",
    ),
    "POST /api/catalog/negative-list/check": Row(
        "POST",
        "/api/catalog/negative-list/check",
        "422 422 422 422 422 422 422 422 422 422 422 422 422 422 422 422",
    ),
    "GET /api/verify/{number}": Row(
        "GET",
        "/api/verify/{number}",
        "200 200 200 200 200 200 200 200 200 200 200 200 200 200 200 200",
    ),
    "POST /api/verify/": Row(
        "POST", "/api/verify/", "422 422 422 422 422 422 422 422 422 422 422 422 422 422 422 422"
    ),
    "POST /api/delivery/ack": Row(
        "POST",
        "/api/delivery/ack",
        "400 400 400 400 400 400 400 400 400 400 400 400 400 400 400 400",
    ),
    # the admin site (each model's pages: ADMIN_MODELS)
    "admin:index": Row(
        "GET", "/admin/", "302 302 302 302 302 302 302 200 302 302 302 200 302 200 200 302"
    ),
    "admin:login": Row(
        "GET", "/admin/login/", "302 403 403 403 403 403 403 403 403 403 403 403 403 403 403 403"
    ),
    "admin:logout": Row(
        "POST", "/admin/logout/", "302 302 302 302 302 302 302 302 302 302 302 302 302 302 302 302"
    ),
    "admin:password_change": Row(
        "GET",
        "/admin/password_change/",
        "302 302 302 302 302 302 302 200 302 302 302 200 302 200 200 302",
    ),
    "admin:password_change_done": Row(
        "GET",
        "/admin/password_change/done/",
        "302 302 302 302 302 302 302 200 302 302 302 200 302 200 200 302",
    ),
    "admin:autocomplete": Row(
        "GET",
        "/admin/autocomplete/",
        "302 302 302 302 302 302 302 403 302 302 302 403 302 403 403 302",
    ),
    "admin:jsi18n": Row(
        "GET", "/admin/jsi18n/", "302 302 302 302 302 302 302 200 302 302 302 200 302 200 200 302"
    ),
    "admin:view_on_site": Row(
        "GET",
        "/admin/r/1/{village}/",
        "302 302 302 302 302 302 302 404 302 302 302 404 302 404 404 302",
    ),
    "admin:app_list": Row(
        "GET", "/admin/orgs/", "302 302 302 302 302 302 302 200 302 302 302 200 302 200 200 302"
    ),
    "admin:<unnamed admin/(?P<url>.*)$>": Row(
        "GET",
        "/admin/no-such-page/",
        "302 302 302 302 302 302 302 404 302 302 302 404 302 404 404 302",
    ),
    "admin:catalog_approvalchain_revise": Row(
        "GET",
        "/admin/catalog/approvalchain/{chain}/revise/",
        "302 302 302 302 302 302 302 403 302 302 302 403 302 200 404 302",
    ),
}

#: Each model on the admin site: the answers on its list and on its add page.
ADMIN_MODELS: dict[str, tuple[str, str]] = {
    "orgs.district": (
        "302 302 302 302 302 302 302 200 302 302 302 200 302 200 403 302",
        "302 302 302 302 302 302 302 403 302 302 302 403 302 403 403 302",
    ),
    "orgs.village": (
        "302 302 302 302 302 302 302 200 302 302 302 200 302 200 403 302",
        "302 302 302 302 302 302 302 403 302 302 302 403 302 200 403 302",
    ),
    "orgs.villagegroup": (
        "302 302 302 302 302 302 302 200 302 302 302 200 302 200 403 302",
        "302 302 302 302 302 302 302 200 302 302 302 200 302 200 403 302",
    ),
    "orgs.collective": (
        "302 302 302 302 302 302 302 200 302 302 302 200 302 200 403 302",
        "302 302 302 302 302 302 302 200 302 302 302 200 302 200 403 302",
    ),
    "orgs.bureau": (
        "302 302 302 302 302 302 302 200 302 302 302 200 302 200 403 302",
        "302 302 302 302 302 302 302 403 302 302 302 403 302 200 403 302",
    ),
    "orgs.person": (
        "302 302 302 302 302 302 302 200 302 302 302 200 302 200 200 302",
        "302 302 302 302 302 302 302 200 302 302 302 200 302 200 403 302",
    ),
    "orgs.rolegrant": (
        "302 302 302 302 302 302 302 403 302 302 302 403 302 403 200 302",
        "302 302 302 302 302 302 302 403 302 302 302 403 302 403 200 302",
    ),
    "seals.seal": (
        "302 302 302 302 302 302 302 200 302 302 302 200 302 200 403 302",
        "302 302 302 302 302 302 302 200 302 302 302 200 302 200 403 302",
    ),
    "seals.electronicseal": (
        "302 302 302 302 302 302 302 200 302 302 302 200 302 200 403 302",
        "302 302 302 302 302 302 302 403 302 302 302 403 302 403 403 302",
    ),
    "catalog.matter": (
        "302 302 302 302 302 302 302 200 302 302 302 200 302 200 403 302",
        "302 302 302 302 302 302 302 403 302 302 302 403 302 200 403 302",
    ),
    "catalog.approvalchain": (
        "302 302 302 302 302 302 302 200 302 302 302 200 302 200 403 302",
        "302 302 302 302 302 302 302 403 302 302 302 403 302 403 403 302",
    ),
    "catalog.negativelistitem": (
        "302 302 302 302 302 302 302 200 302 302 302 200 302 200 403 302",
        "302 302 302 302 302 302 302 403 302 302 302 403 302 200 403 302",
    ),
    "catalog.negativelistalias": (
        "302 302 302 302 302 302 302 200 302 302 302 200 302 200 403 302",
        "302 302 302 302 302 302 302 403 302 302 302 403 302 200 403 302",
    ),
    "delivery.bureauendpoint": (
        "302 302 302 302 302 302 302 403 302 302 302 403 302 200 403 302",
        "302 302 302 302 302 302 302 403 302 302 302 403 302 200 403 302",
    ),
    "delivery.delivery": (
        "302 302 302 302 302 302 302 403 302 302 302 403 302 200 403 302",
        "302 302 302 302 302 302 302 403 302 302 302 403 302 403 403 302",
    ),
    "delivery.outboxmessage": (
        "302 302 302 302 302 302 302 403 302 302 302 403 302 200 403 302",
        "302 302 302 302 302 302 302 403 302 302 302 403 302 403 403 302",
    ),
    "approvals.calendaryear": (
        "302 302 302 302 302 302 302 200 302 302 302 200 302 200 403 302",
        "302 302 302 302 302 302 302 403 302 302 302 403 302 200 403 302",
    ),
    "approvals.sealrequest": (
        "302 302 302 302 302 302 302 200 302 302 302 200 302 200 403 302",
        "302 302 302 302 302 302 302 403 302 302 302 403 302 403 403 302",
    ),
    "sealing.sealeddocument": (
        "302 302 302 302 302 302 302 200 302 302 302 200 302 200 403 302",
        "302 302 302 302 302 302 302 403 302 302 302 403 302 403 403 302",
    ),
    "portal.registerentry": (
        "302 302 302 302 302 302 302 200 302 302 302 200 302 200 403 302",
        "302 302 302 302 302 302 302 403 302 302 302 403 302 403 403 302",
    ),
    "portal.service": (
        "302 302 302 302 302 302 302 200 302 302 302 200 302 200 403 302",
        "302 302 302 302 302 302 302 403 302 302 302 403 302 403 403 302",
    ),
    "portal.application": (
        "302 302 302 302 302 302 302 200 302 302 302 200 302 200 403 302",
        "302 302 302 302 302 302 302 403 302 302 302 403 302 403 403 302",
    ),
    "oversight.warningrule": (
        "302 302 302 302 302 302 302 403 302 302 302 403 302 200 403 302",
        "302 302 302 302 302 302 302 403 302 302 302 403 302 403 403 302",
    ),
    "portal.portalsettings": (
        "302 302 302 302 302 302 302 200 302 302 302 200 302 200 403 302",
        "302 302 302 302 302 302 302 403 302 302 302 403 302 200 403 302",
    ),
}

_ADMIN_MODEL_PAGE = re.compile(
    r"^admin:(?:(?P<app>[a-z]+)_(?P<model>[a-z]+)_(?:changelist|add|history|delete|change)"
    r"|<unnamed admin/(?P<app2>[a-z]+)/(?P<model2>[a-z]+)/<path:object_id>/>)$"
)


def admin_covered(key: str) -> bool:
    """Whether `key` is a page of a model listed in ADMIN_MODELS."""
    match = _ADMIN_MODEL_PAGE.match(key)
    if match is None:
        return False
    app = match.group("app") or match.group("app2")
    model = match.group("model") or match.group("model2")
    return f"{app}.{model}" in ADMIN_MODELS


def admin_rows() -> dict[str, Row]:
    """The rows the admin models stand for: their list and their add page."""
    rows: dict[str, Row] = {}
    for label, (changelist, add) in ADMIN_MODELS.items():
        path = "/admin/" + label.replace(".", "/") + "/"
        rows[f"admin {label} list"] = Row("GET", path, changelist)
        rows[f"admin {label} add"] = Row("GET", path + "add/", add)
    return rows
