"""The oversight pages and the scope matrix: a district inspector sees every warning of
the district, a village inspector their village's, a secretary only their own village's,
everyone else none; the public sees only the 村务公开 ledger."""

from __future__ import annotations

import re

import pytest

from conftest import World, client_for, make_person
from zhiyin.approvals.services import seal_request_submit
from zhiyin.approvals.tests.conftest import Catalog, request_make
from zhiyin.core.errors import RuleViolation
from zhiyin.orgs.models import Person, Role
from zhiyin.orgs.services import role_grant_create
from zhiyin.oversight.models import Warning
from zhiyin.oversight.tests.conftest import device_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def warnings(world: World, catalog: Catalog) -> dict[str, Warning]:
    sn = request_make(world, catalog.matter, purpose="流转承包地，租金 3000 元/亩/年")
    seal_request_submit(request=sn, by=world.sn_clerk)
    device_event("device.alarm", kind="tamper", seal=world.bl_committee_seal.pk, device="BL-1")
    return {
        "shuinan": Warning.objects.get(village=world.shuinan),
        "beiling": Warning.objects.get(village=world.beiling),
    }


@pytest.fixture
def sn_inspector(world: World) -> Person:
    person = make_person("sn_inspector", "水南监察员")
    role_grant_create(person=person, role=Role.INSPECTOR, village=world.shuinan, by=None)
    return person


def _listed(person: Person) -> set[int]:
    html = client_for(person).get("/oversight/?state=").content.decode()
    return {int(pk) for pk in re.findall(r'href="/oversight/warnings/(\d+)/"', html)}


def test_the_scope_matrix_of_warnings(
    world: World, warnings: dict[str, Warning], sn_inspector: Person
) -> None:
    sn, bl = warnings["shuinan"].pk, warnings["beiling"].pk
    assert _listed(world.inspector) == {sn, bl}
    assert _listed(sn_inspector) == {sn}
    assert _listed(world.sn_secretary) == {sn}
    assert _listed(world.bl_secretary) == {bl}
    for person, visible, hidden in [
        (world.inspector, [sn, bl], []),
        (sn_inspector, [sn], [bl]),
        (world.sn_secretary, [sn], [bl]),
        (world.bl_secretary, [bl], [sn]),
    ]:
        client = client_for(person)
        for pk in visible:
            assert client.get(f"/oversight/warnings/{pk}/").status_code == 200
        for pk in hidden:
            assert client.get(f"/oversight/warnings/{pk}/").status_code == 404


@pytest.mark.parametrize(
    "persona",
    ["sn_clerk", "sn_custodian1", "sn_resident", "officer", "sn_leader1", "district_admin"],
)
def test_roles_without_oversight_see_no_warnings(
    world: World, warnings: dict[str, Warning], persona: str
) -> None:
    client = client_for(getattr(world, persona))
    assert client.get("/oversight/").status_code == 403
    assert client.get(f"/oversight/warnings/{warnings['shuinan'].pk}/").status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(world: World, warnings: dict[str, Warning]) -> None:
    client = client_for(None)
    for url in (
        "/oversight/",
        f"/oversight/warnings/{warnings['shuinan'].pk}/",
        "/oversight/statistics/",
        "/oversight/ledger/",
    ):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]
    assert client.get(f"/public/ledger/{world.shuinan.code}/").status_code == 200


def test_statistics_and_ledgers_are_for_overseers_only(world: World) -> None:
    for person in (world.inspector, world.district_admin, world.sn_secretary):
        assert client_for(person).get("/oversight/statistics/").status_code == 200
        assert client_for(person).get("/oversight/ledger/").status_code == 200
    for person in (world.sn_clerk, world.sn_resident, world.officer):
        assert client_for(person).get("/oversight/statistics/").status_code == 403
        assert client_for(person).get("/oversight/ledger/").status_code == 403
    other = client_for(world.sn_secretary).get(
        f"/oversight/ledger/?village={world.beiling.pk}&start=2026-11-01&end=2026-11-30"
    )
    assert "北岭村 用印登记台账" not in other.content.decode()


def test_the_workbench_counts_by_state_and_severity(
    world: World, warnings: dict[str, Warning]
) -> None:
    html = client_for(world.inspector).get("/oversight/").content.decode()
    assert 'class="count count-red"' in html
    assert re.search(r'count-red".*?<span class="count-n">2</span>', html, re.S)


def test_the_workbench_filters(world: World, warnings: dict[str, Warning]) -> None:
    client = client_for(world.inspector)
    by_village = client.get(f"/oversight/?village={world.beiling.pk}").content.decode()
    assert f"/oversight/warnings/{warnings['beiling'].pk}/" in by_village
    assert f"/oversight/warnings/{warnings['shuinan'].pk}/" not in by_village
    by_rule = client.get("/oversight/?rule=rent_below_floor&state=red").content.decode()
    assert f"/oversight/warnings/{warnings['shuinan'].pk}/" in by_rule
    assert f"/oversight/warnings/{warnings['beiling'].pk}/" not in by_rule
    bad = client.get("/oversight/?start=yesterday&state=nonsense")
    assert bad.status_code == 200


def test_a_warning_page_shows_its_facts_request_and_trace(
    world: World, warnings: dict[str, Warning]
) -> None:
    warning = warnings["shuinan"]
    html = client_for(world.inspector).get(f"/oversight/warnings/{warning.pk}/").content.decode()
    assert "对比判别依据" in html and "3000" in html and "不低于 5000" in html
    assert f"/requests/{warning.request_id}/" in html
    assert f"/audit/trace/approvals.sealrequest/{warning.request_id}/" in html
    assert "提交用印申请" in html  # the request's story in readable words
    secretary = (
        client_for(world.sn_secretary).get(f"/oversight/warnings/{warning.pk}/").content.decode()
    )
    assert "提交整改说明" in secretary and "办结预警" not in secretary


def test_closing_through_the_page(world: World, warnings: dict[str, Warning]) -> None:
    warning = warnings["shuinan"]
    client = client_for(world.inspector)
    empty = client.post(f"/oversight/warnings/{warning.pk}/close/", {"conclusion": ""}, follow=True)
    assert "这个字段是必填项" in empty.content.decode() or "必填" in empty.content.decode()
    warning.refresh_from_db()
    assert warning.state == "red"
    client.post(f"/oversight/warnings/{warning.pk}/close/", {"conclusion": "已核实整改"})
    warning.refresh_from_db()
    assert warning.state == "closed" and warning.conclusion == "已核实整改"
    refused = client_for(world.sn_secretary).post(
        f"/oversight/warnings/{warnings['beiling'].pk}/close/", {"conclusion": "x"}
    )
    assert refused.status_code == 404


def test_the_statistics_page_has_charts_and_a_table_view(world: World, catalog: Catalog) -> None:
    with pytest.raises(RuleViolation):
        request_make(world, catalog.matter, purpose="开具亲属关系证明")
    client = client_for(world.inspector)
    html = client.get("/oversight/statistics/").content.decode()
    assert "vendor/echarts-6.1.0.min.js" in html and 'id="oversight-chart-data"' in html
    assert "本期共拦截 1 件负面清单证明事项" in html
    table = client.get("/oversight/statistics/?view=table").content.decode()
    assert "echarts" not in table and "各村每月用印次数" in table
    bad = client.get("/oversight/statistics/?start=2026-12-01&end=2020-01-01")
    assert bad.status_code == 200 and "截止日期不能早于起始日期" in bad.content.decode()


def test_the_story_on_a_warning_page_uses_names_not_codes(
    world: World, warnings: dict[str, Warning]
) -> None:
    html = (
        client_for(world.inspector)
        .get(f"/oversight/warnings/{warnings['shuinan'].pk}/")
        .content.decode()
    )
    assert "发起用印申请" in html and "系统预警" in html
    assert "seal_request.submit" not in html and "warning.raise" not in html


def test_the_trace_page_reads_in_words_and_links_the_warnings(
    world: World, warnings: dict[str, Warning]
) -> None:
    warning = warnings["shuinan"]
    client = client_for(world.inspector)
    detail = client.get(f"/requests/{warning.request_id}/").content.decode()
    trace_url = f"/audit/trace/approvals.sealrequest/{warning.request_id}/"
    assert trace_url in detail
    html = client.get(trace_url).content.decode()
    assert "发起用印申请" in html and "提交用印申请" in html
    assert "时间（北京时间）" in html
    assert f"/oversight/warnings/{warning.pk}/" in html
    assert ">seal_request.create<" not in html
    # A group leader sees the request but not its trace: no link that would end in 404.
    leader = client_for(world.sn_leader1).get(f"/requests/{warning.request_id}/").content.decode()
    assert trace_url not in leader


def test_role_names_replace_role_codes_in_the_trace(world: World, catalog: Catalog) -> None:
    from zhiyin.approvals.services import seal_request_approve
    from zhiyin.approvals.tests.conftest import view_documents

    request = seal_request_submit(request=request_make(world, catalog.matter), by=world.sn_clerk)
    view_documents(request, world.sn_leader1)
    seal_request_approve(request=request, by=world.sn_leader1)
    html = (
        client_for(world.inspector)
        .get(f"/audit/trace/approvals.sealrequest/{request.pk}/")
        .content.decode()
    )
    assert "（村民小组长）" in html and "（group_leader）" not in html
    assert "审批同意" in html
