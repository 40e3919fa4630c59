"""Reads of sealed documents, scoped to who is entitled to a copy.

Entitled: the applicant and the resident the request was made for; the village's
custodians and secretary; inspectors of the village or its district. Others get
`Http404`, as for any record outside one's scope.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Q, QuerySet
from django.http import Http404

from zhiyin.approvals.models import RequestDocument, SealRequest
from zhiyin.orgs.models import Role
from zhiyin.orgs.selectors import Access
from zhiyin.sealing.models import SealedDocument, SealingConfirmation

#: Village-level roles that receive the village's sealed documents.
_VILLAGE_ROLES = frozenset({Role.CUSTODIAN, Role.SECRETARY, Role.INSPECTOR})


def sealed_documents_for(*, access: Access) -> QuerySet[SealedDocument]:
    """Sealed documents the person is entitled to (see the module): their own requests', their
    villages' as custodian, secretary or inspector, their districts' as inspector."""
    if access.person_id is None:
        return SealedDocument.objects.none()
    village_ids = {
        g.village_id
        for g in access.grants
        if g.role in _VILLAGE_ROLES and g.village_id and not g.group_id
    }
    district_ids = {
        g.district_id
        for g in access.grants
        if g.role == Role.INSPECTOR and g.village_id is None and g.bureau_id is None
    }
    return SealedDocument.objects.filter(
        Q(request__applicant_id=access.person_id)
        | Q(request__on_behalf_of_id=access.person_id)
        | Q(request__village_id__in=village_ids)
        | Q(request__village__district_id__in=district_ids)
    ).select_related("request", "request__village")


def sealed_document_by_code(*, code: str) -> SealedDocument | None:
    """The document whose QR code carries `code` (its secret): public, since holding the
    code means holding the paper or the file."""
    return SealedDocument.objects.filter(verify_code=code).first() if code else None


def sealed_document_get_for(*, access: Access, pk: int) -> SealedDocument:
    """One sealed document within `sealed_documents_for`; any other is `Http404`."""
    document = sealed_documents_for(access=access).filter(pk=pk).first()
    if document is None:
        raise Http404
    return document


def sealing_confirmations_of(*, request_id: int) -> QuerySet[SealingConfirmation]:
    """The custodians' confirmations of one request so far, with who gave them; the caller has
    scoped the request."""
    return SealingConfirmation.objects.filter(request_id=request_id).select_related("person")


def sealable_documents(request: SealRequest) -> list[RequestDocument]:
    """The request's current PDFs, in the order they were added. Plain SQL: every seal
    asks, and the ORM would spend more time building the query than the database
    spends answering it."""
    table = connection.ops.quote_name(RequestDocument._meta.db_table)
    documents = list(
        RequestDocument.objects.raw(
            f"SELECT * FROM {table} WHERE request_id = %s AND superseded_at IS NULL"  # noqa: S608  # no user input
            " AND content_type = %s ORDER BY id",
            [request.pk, "application/pdf"],
        )
    )
    for document in documents:
        document.request = request
    return documents
