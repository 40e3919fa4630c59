"""The document a seal request for an application seals: the filled-in form, or for a
certificate service the certificate itself, built with `zhiyin.lib.pdfdoc`."""

from __future__ import annotations

from django.utils import timezone

from zhiyin.lib.idcard import id_number_mask
from zhiyin.lib.pdfdoc import certificate_pdf_build
from zhiyin.portal.formdef import fields_of
from zhiyin.portal.models import Application, ServiceKind


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def application_pdf(application: Application) -> bytes:
    service = application.service
    answers = application.answers
    village = application.village
    today = timezone.localdate()
    if service.kind == ServiceKind.CERTIFICATE and service.certificate:
        values = _Blank({**answers, "village": village.name})
        paragraphs = [str(p).format_map(values) for p in service.certificate.get("paragraphs", [])]
        title = str(service.certificate.get("title", service.name))
        addressee = str(service.certificate.get("addressee", "")).format_map(values)
    else:
        title = f"{service.name}表"
        addressee = ""
        paragraphs = []
        for f in fields_of(service):
            value = answers.get(f.key, "")
            if f.type == "id_number" and value:
                value = id_number_mask(value)
            paragraphs.append(f"{f.label}：{value}{f.unit if value else ''}")
        if application.amount is not None:
            paragraphs.append(f"补贴金额：{application.amount_text} 元（系统按标准计算）")
        if application.filed_by_id != application.resident_id:
            paragraphs.append(f"代办人：{application.filed_by.real_name}")
        paragraphs.append(f"申请编号：{application.number}")
    built = certificate_pdf_build(
        title=title,
        paragraphs=paragraphs,
        document_number=application.number,
        organization_name=village.committee_name,
        issued_on=today,
        addressee=addressee,
    )
    return built.pdf
