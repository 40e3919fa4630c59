"""The active-content finder names every kind a reader would run, and nothing in a
plain or a sealed document."""

from __future__ import annotations

import pytest

from zhiyin.lib.pdfactive import PdfUnreadable, active_content_find
from zhiyin.lib.tests.active_pdfs import ACTIVE_SAMPLES, plain_pdf


@pytest.mark.parametrize("sample", sorted(ACTIVE_SAMPLES))
def test_it_finds_each_kind_of_active_content(sample: str) -> None:
    build, kind = ACTIVE_SAMPLES[sample]
    assert kind in active_content_find(build()).kinds


def test_a_plain_document_has_none() -> None:
    assert not active_content_find(plain_pdf())


def test_a_file_that_is_not_a_pdf_is_unreadable() -> None:
    with pytest.raises(PdfUnreadable):
        active_content_find(b"%PDF-1.7\nnothing else")
