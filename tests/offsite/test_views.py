"""Pages and JSON endpoints: who may open what, an enterprise sees only its own points and
alarms, refused posts change nothing, list pages keep a constant number of queries, downloads are
checked against their stored hash."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from envforce.cases.models import Clue
from envforce.offsite import services
from envforce.offsite.choices import EpisodeState
from envforce.offsite.models import AuditReport, DataMark, Episode
from tests.offsite.conftest import exceedance_day

pytestmark = pytest.mark.django_db
JUDGEMENT = "经审核，二氧化硫小时均值连续超过排放限值，数据有效，确认超标排放。"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}


@pytest.fixture
def episodes(air_point, other_point, base, detect):
    exceedance_day(air_point, base)
    exceedance_day(other_point, base)
    detect(base, base + dt.timedelta(days=1))
    return {e.point_id: e for e in Episode.objects.filter(code="a21026")}


STAFF = ["officer_a", "leader", "station", "legal", "head"]
NO_ACCESS = ["liaison", "sysadmin", "secadmin", "auditor"]


@pytest.mark.parametrize("persona", [*STAFF, "enterprise_user"], indirect=True)
@pytest.mark.parametrize("name", ["offsite:overview", "offsite:overview-data", "offsite:alarm-list",
                                  "offsite:own-marks"])
def test_monitoring_pages_open_for_staff_and_enterprise(persona, name, client_for, episodes):
    assert client_for(persona).get(reverse(name)).status_code == 200


@pytest.mark.parametrize("persona", [*NO_ACCESS, "anonymous"], indirect=True)
@pytest.mark.parametrize("name", ["offsite:overview", "offsite:alarm-list", "offsite:own-marks", "offsite:report-list",
                                  "offsite:rules"])
def test_monitoring_pages_refused(persona, name, client_for):
    response = client_for(persona).get(reverse(name))
    assert response.status_code in (302, 403)


@pytest.mark.parametrize("name", ["offsite:report-list", "offsite:rules"])
def test_reports_and_rules_are_staff_only(name, client_for, enterprise_user, station):
    assert client_for(enterprise_user).get(reverse(name)).status_code == 403
    assert client_for(station).get(reverse(name)).status_code == 200


def test_enterprise_sees_only_its_own_points_and_alarms(client_for, enterprise_user, episodes, air_point, other_point):
    c = client_for(enterprise_user)
    page = c.get(reverse("offsite:alarm-list")).content.decode()
    assert "上海普陀测试化工有限公司" in page and "上海普陀另一印刷有限公司" not in page
    assert c.get(reverse("offsite:episode-detail", args=[episodes[other_point.pk].pk])).status_code == 404
    assert c.get(reverse("offsite:episode-detail", args=[episodes[air_point.pk].pk])).status_code == 200
    assert c.get(reverse("offsite:point-detail", args=[other_point.pk])).status_code == 404
    assert c.get(reverse("offsite:point-series", args=[other_point.pk]) + "?code=a21026").status_code == 404
    data = c.get(reverse("offsite:overview-data")).json()
    assert [p["id"] for p in data["points"]] == [air_point.pk]
    # Read-only: no review forms, no score.
    detail = c.get(reverse("offsite:episode-detail", args=[episodes[air_point.pk].pk])).content.decode()
    assert "report-form" not in detail and "dismiss-form" not in detail and "score-parts" not in detail


def test_station_sees_the_ranked_queue_with_review_forms(client_for, station, episodes, air_point):
    c = client_for(station)
    page = c.get(reverse("offsite:alarm-list")).content.decode()
    assert "报警审核队列" in page and page.count('data-testid="episode-row"') == 2
    detail = c.get(reverse("offsite:episode-detail", args=[episodes[air_point.pk].pk])).content.decode()
    assert "report-form" in detail and "dismiss-form" in detail and "score-parts" in detail
    assert "二氧化硫小时均值超过排放限值 50 mg/m3" in detail and "查看该时段曲线" in detail


def test_officer_reads_but_cannot_review(client_for, officer_a, episodes, air_point):
    ep = episodes[air_point.pk]
    c = client_for(officer_a)
    assert "report-form" not in c.get(reverse("offsite:episode-detail", args=[ep.pk])).content.decode()
    assert c.post(reverse("offsite:episode-dismiss", args=[ep.pk]), {"reason": "越权排除"}).status_code == 403
    assert c.post(reverse("offsite:report-issue", args=[ep.pk]), {"judgement": JUDGEMENT}).status_code == 403
    ep.refresh_from_db()
    assert ep.state == EpisodeState.OPEN and not AuditReport.objects.exists()


def test_station_dismisses_through_the_page(client_for, station, episodes, air_point):
    ep = episodes[air_point.pk]
    response = client_for(station).post(reverse("offsite:episode-dismiss", args=[ep.pk]), {"reason": "仪器标定残留，已核实"})
    assert response.status_code == 302
    ep.refresh_from_db()
    assert ep.state == EpisodeState.DISMISSED


def test_short_reason_shows_the_error(client_for, station, episodes, air_point):
    ep = episodes[air_point.pk]
    response = client_for(station).post(reverse("offsite:episode-dismiss", args=[ep.pk]), {"reason": "无"})
    assert response.status_code == 400 and "至少 4 个字" in response.content.decode()
    ep.refresh_from_db()
    assert ep.state == EpisodeState.OPEN


def test_issue_report_through_the_page_and_download(client_for, station, episodes, air_point):
    ep = episodes[air_point.pk]
    c = client_for(station)
    response = c.post(reverse("offsite:report-issue", args=[ep.pk]), {"judgement": JUDGEMENT})
    report = AuditReport.objects.get()
    assert response.status_code == 302 and response["Location"] == report.get_absolute_url()
    page = c.get(report.get_absolute_url()).content.decode()
    assert report.number in page and report.clue.number in page and report.pdf_sha256 in page
    pdf = c.get(reverse("offsite:report-download", args=[report.pk, "pdf"]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF") and pdf["X-Content-SHA256"] == report.pdf_sha256
    docx = c.get(reverse("offsite:report-download", args=[report.pk, "docx"]))
    assert docx.status_code == 200 and docx.content[:2] == b"PK"


def test_tampered_document_is_refused(client_for, station, episodes, air_point):
    report = services.issue_audit_report(episodes[air_point.pk].pk, judgement=JUDGEMENT, actor=station)
    default_storage.delete(report.pdf_path)
    default_storage.save(report.pdf_path, ContentFile(b"%PDF-1.7 altered"))
    response = client_for(station).get(reverse("offsite:report-download", args=[report.pk, "pdf"]))
    assert response.status_code == 409 and "哈希值不一致" in response.content.decode()


def test_enterprise_cannot_download_reports(client_for, station, enterprise_user, episodes, air_point):
    report = services.issue_audit_report(episodes[air_point.pk].pk, judgement=JUDGEMENT, actor=station)
    assert client_for(enterprise_user).get(reverse("offsite:report-download", args=[report.pk, "pdf"])).status_code == 403


def test_series_endpoint_gives_values_limit_and_alarms(client_for, officer_a, episodes, air_point, base):
    url = reverse("offsite:point-series", args=[air_point.pk])
    params = {"code": "a21026", "start": (base - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
              "end": (base + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")}
    data = client_for(officer_a).get(url, params).json()
    assert data["limit_upper"] == 50.0 and data["cn"] == "2061" and len(data["points"]) == 24
    assert max(p[1] for p in data["points"]) == 78.0
    assert [a["kind"] for a in data["alarms"]] == ["exceedance"] and data["alarms"][0]["exceedance"]


def test_point_page_renders_chart_container(client_for, officer_a, air_point, episodes):
    page = client_for(officer_a).get(reverse("offsite:point-detail", args=[air_point.pk])).content.decode()
    assert 'id="point-chart"' in page and "series.json" in page and "<script>" not in page


def test_enterprise_marks_through_the_page(client_for, enterprise_user, air_point):
    from django.utils import timezone

    now = timezone.localtime()
    response = client_for(enterprise_user).post(reverse("offsite:own-marks"), {
        "point": air_point.pk, "code": "a21026", "kind": "maintenance", "reason": "CEMS 例行维护",
        "start": (now - dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        "end": (now - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 302
    assert DataMark.objects.get().created_by == enterprise_user


def test_enterprise_cannot_mark_other_point_through_the_page(client_for, enterprise_user, other_point):
    from django.utils import timezone

    now = timezone.localtime()
    response = client_for(enterprise_user).post(reverse("offsite:own-marks"), {
        "point": other_point.pk, "code": "", "kind": "fault", "reason": "故障",
        "start": (now - dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        "end": (now - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 400 and not DataMark.objects.exists()


def test_staff_cannot_post_marks(client_for, station, air_point):
    response = client_for(station).post(reverse("offsite:own-marks"), {"point": air_point.pk})
    assert response.status_code == 403 and not DataMark.objects.exists()


def _more_episodes(enterprise, base, detect, n, first=0):
    from tests.offsite.conftest import _point

    for i in range(first, first + n):
        point = _point(enterprise, f"DX{i:03d}", f"3101070000{i:04d}", "air", [
            {"code": "a21026", "name": "二氧化硫", "unit": "mg/m3", "limit_upper": 50, "averaging": "hour",
             "range_upper": 200}])
        exceedance_day(point, base)
    detect(base, base + dt.timedelta(days=1))


@pytest.mark.parametrize("name", ["offsite:alarm-list", "offsite:overview", "offsite:overview-data", "offsite:own-marks",
                                  "offsite:report-list"])
def test_list_query_counts_do_not_grow(name, client_for, station, enterprise, base, detect, django_assert_max_num_queries):
    c = client_for(station)
    _more_episodes(enterprise, base, detect, 2)
    for ep in Episode.objects.all()[:1]:
        services.issue_audit_report(ep.pk, judgement=JUDGEMENT, actor=station)
    c.get(reverse(name))
    with django_assert_max_num_queries(16) as small:
        c.get(reverse(name))
    _more_episodes(enterprise, base - dt.timedelta(days=1), detect, 6, first=2)
    for ep in Episode.objects.filter(state="open")[:3]:
        services.issue_audit_report(ep.pk, judgement=JUDGEMENT, actor=station)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert c.get(reverse(name)).status_code == 200


def test_clue_pages_per_role(client_for, station, leader, officer_a, enterprise_user, episodes, air_point):
    report = services.issue_audit_report(episodes[air_point.pk].pk, judgement=JUDGEMENT, actor=station)
    clue = report.clue
    assert client_for(leader).get(reverse("cases:clue-list")).status_code == 200
    assert clue.number in client_for(leader).get(reverse("cases:clue-list")).content.decode()
    assert clue.number not in client_for(officer_a).get(reverse("cases:clue-list")).content.decode()
    assert client_for(officer_a).get(reverse("cases:clue-detail", args=[clue.pk])).status_code == 404
    assert client_for(enterprise_user).get(reverse("cases:clue-list")).status_code == 403
    assert client_for(station).get(reverse("cases:clue-detail", args=[clue.pk])).status_code == 200
    # The leader assigns, the officer records the case.
    c = client_for(leader)
    assert c.post(reverse("cases:clue-assign", args=[clue.pk]), {"assignee": officer_a.pk}).status_code == 302
    from django.utils import timezone

    r = client_for(officer_a).post(reverse("cases:clue-case-opened", args=[clue.pk]),
                                   {"opened_on": timezone.localdate().isoformat(), "case_number": "普环罚〔2026〕1号"})
    assert r.status_code == 302
    clue.refresh_from_db()
    assert clue.state == "case_opened" and clue.deadline_met


def test_station_cannot_record_a_case(client_for, station, episodes, air_point):
    from django.utils import timezone

    report = services.issue_audit_report(episodes[air_point.pk].pk, judgement=JUDGEMENT, actor=station)
    r = client_for(station).post(reverse("cases:clue-case-opened", args=[report.clue.pk]),
                                 {"opened_on": timezone.localdate().isoformat(), "case_number": "X1"})
    assert r.status_code == 403
    assert Clue.objects.get().state == "open"


def test_clue_list_query_count_constant(client_for, leader, enterprise, django_assert_max_num_queries):
    from tests.cases.test_clues import make_clue

    c = client_for(leader)
    make_clue(enterprise)
    c.get(reverse("cases:clue-list"))
    with django_assert_max_num_queries(12) as small:
        c.get(reverse("cases:clue-list"))
    for _ in range(8):
        make_clue(enterprise)
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = c.get(reverse("cases:clue-list")).content.decode()
    assert page.count('data-testid="clue-row"') == 9
