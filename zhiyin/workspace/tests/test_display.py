"""The large-type mode (长辈版): a switch on every page, kept per person and per browser;
and how every Django form reads (请选择, 选填)."""

from __future__ import annotations

import pytest
from django import forms
from django.test import Client

from conftest import World, client_for
from zhiyin.orgs.models import Village
from zhiyin.workspace.display import COOKIE
from zhiyin.workspace.models import DisplayPreference

pytestmark = pytest.mark.django_db

LARGE = '<html lang="zh-hans" class="large">'


def test_an_anonymous_resident_switches_on_the_login_page(world: World) -> None:
    client = Client()
    page = client.get("/portal/login/").content.decode()
    assert LARGE not in page and "长辈版" in page and 'value="/portal/login/"' in page
    answer = client.post("/display/large-text/", {"large": "1", "next": "/portal/login/"})
    assert answer.status_code == 302 and answer["Location"] == "/portal/login/"
    assert answer.cookies[COOKIE].value == "1"
    page = client.get("/portal/login/").content.decode()
    assert LARGE in page and "标准版" in page
    assert LARGE in client.get("/no/such/page/").content.decode()  # the 404 page too
    client.post("/display/large-text/", {"large": "0", "next": "/portal/login/"})
    assert LARGE not in client.get("/portal/login/").content.decode()


def test_the_choice_is_kept_for_the_person_on_another_phone(world: World) -> None:
    client_for(world.sn_resident).post("/display/large-text/", {"large": "1", "next": "/"})
    assert DisplayPreference.objects.get(person=world.sn_resident).large_text
    other_phone = client_for(world.sn_resident)
    assert LARGE in other_phone.get("/portal/").content.decode()
    assert LARGE not in client_for(world.sn_clerk).get("/").content.decode()


def test_it_goes_back_only_to_a_page_of_this_site(world: World) -> None:
    answer = Client().post("/display/large-text/", {"large": "1", "next": "https://evil.example/"})
    assert answer["Location"] == "/"
    assert Client().get("/display/large-text/").status_code == 405


class _Form(forms.Form):
    village = forms.ModelChoiceField(queryset=Village.objects.all(), label="村")
    kind = forms.ChoiceField(choices=[("", "---------"), ("a", "甲")], label="种类", required=False)
    note = forms.CharField(label="备注", required=False)
    agree = forms.BooleanField(label="同意", required=False)


def test_forms_say_please_choose_and_mark_optional_fields(world: World) -> None:
    html = _Form().as_p()
    assert "---------" not in html and html.count("请选择") == 2
    assert html.count("（选填）") == 2  # 种类 and 备注; a checkbox is optional by nature
    assert "村（选填）" not in html and "同意（选填）" not in html
    assert ":" not in html.replace("http:", "")
