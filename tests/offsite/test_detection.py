"""Detection through the database: readings stored as the ingest writer stores them, alarms and
episodes created, merged, updated and ranked; one audit entry per run."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from envforce.core.models import AuditEntry
from envforce.offsite import selectors, services
from envforce.offsite.choices import EpisodeState
from envforce.offsite.models import Alarm, DetectionRun, Episode
from tests.offsite.conftest import ACTOR, add_readings, exceedance_day, wobble

pytestmark = pytest.mark.django_db


def test_exceedance_becomes_an_alarm_with_evidence_and_an_episode(air_point, base, detect):
    exceedance_day(air_point, base)
    run = detect(base - dt.timedelta(days=1), base + dt.timedelta(days=1))
    alarm = Alarm.objects.get(kind="exceedance")
    assert alarm.code == "a21026" and alarm.periods == 3 and alarm.value == pytest.approx(78.0)
    assert alarm.start == base + dt.timedelta(hours=8) and alarm.end == base + dt.timedelta(hours=11)
    assert "二氧化硫小时均值超过排放限值 50 mg/m3" in alarm.explanation and "1.56 倍" in alarm.explanation
    assert [row[1] for row in alarm.evidence["rows"]] == [78.0, 78.0, 78.0] and alarm.evidence["cn"] == "2061"
    ep = alarm.episode
    assert ep.state == EpisodeState.OPEN and ep.alarm_class == "exceedance" and ep.kinds[0] == "exceedance"
    assert ep.max_ratio == pytest.approx(1.56) and ep.exceed_hours == 3 and ep.score > 0
    assert ep.response_due > timezone.localdate() - dt.timedelta(days=1)
    assert run.readings == 48 and run.alarms_created == 1
    entry = AuditEntry.objects.get(event="offsite.detection_run")
    assert entry.target_id == str(run.pk) and "48 条数据" in entry.summary


def test_rerun_is_idempotent(air_point, base, detect):
    exceedance_day(air_point, base)
    detect(base - dt.timedelta(days=1), base + dt.timedelta(days=1))
    before = list(Alarm.objects.values_list("pk", "start", "end", "explanation"))
    run = detect(base - dt.timedelta(days=1), base + dt.timedelta(days=1))
    assert run.alarms_created == 0 and run.alarms_updated == 0
    assert list(Alarm.objects.values_list("pk", "start", "end", "explanation")) == before
    assert Episode.objects.count() == 1


def test_new_data_extend_the_open_alarm(air_point, base, detect):
    add_readings(air_point, "a21026", [*wobble(8, 30.0), 80.0, 80.0], start=base)
    add_readings(air_point, "a21002", wobble(12, 40.0, amp=8.0), start=base)
    detect(base, base + dt.timedelta(hours=10))
    alarm = Alarm.objects.get(kind="exceedance")
    assert alarm.end == base + dt.timedelta(hours=10)
    add_readings(air_point, "a21026", [90.0, 30.0], start=base + dt.timedelta(hours=10))
    run = detect(base, base + dt.timedelta(hours=12))
    alarm.refresh_from_db()
    assert run.alarms_updated == 1 and Alarm.objects.filter(kind="exceedance").count() == 1
    assert alarm.end == base + dt.timedelta(hours=11) and alarm.value == pytest.approx(90.0) and alarm.periods == 3


def test_close_alarms_merge_into_one_episode_and_distant_ones_do_not(air_point, base, detect):
    # Runs at 02–04 and 07–08 (3 h apart: merged), and 20–21 (12 h after: a new episode).
    values = wobble(24, 30.0)
    for h in (2, 3, 7, 20):
        values[h] = 70.0
    add_readings(air_point, "a21026", values, start=base)
    add_readings(air_point, "a21002", wobble(24, 40.0, amp=8.0), start=base)
    detect(base, base + dt.timedelta(days=1))
    alarms = list(Alarm.objects.filter(kind="exceedance").order_by("start"))
    assert len(alarms) == 3
    assert alarms[0].episode_id == alarms[1].episode_id != alarms[2].episode_id
    assert Episode.objects.get(pk=alarms[0].episode_id).alarm_count == 2


def test_signals_of_the_same_pollutant_join_its_episode(air_point, base, detect):
    # Exceedance 02–04, then the value freezes at 35.0 for 12 hours (constant).
    values = [30.0, 31.0, 80.0, 80.0] + [35.0] * 12 + [28.0, 33.0]
    add_readings(air_point, "a21026", values, start=base)
    add_readings(air_point, "a21002", wobble(18, 40.0, amp=8.0), start=base)
    detect(base, base + dt.timedelta(hours=18))
    ep = Episode.objects.get(code="a21026")
    assert set(ep.kinds) == {"exceedance", "constant"} and ep.alarm_class == "exceedance"
    assert ep.score_parts["parts"][3]["points"] > 0  # the signal counts in the score


def test_episodes_ranked_by_score(air_point, other_point, base, detect):
    exceedance_day(air_point, base, value=60.0, high=(8, 9))  # 1.2×, 1 hour
    exceedance_day(other_point, base, value=150.0, high=(8, 20))  # 3×, 12 hours
    detect(base, base + dt.timedelta(days=1))
    station_queue = list(Episode.objects.order_by("-score"))
    assert [e.point_id for e in station_queue] == [other_point.pk, air_point.pk]
    assert station_queue[0].score > station_queue[1].score


def test_water_judged_on_daily_average(water_point, base, detect):
    # Hourly peaks of 180 on day 1 (daily mean 52): compliant; day 2 mean 120: exceeds.
    day1 = [*wobble(22, 40.0), 180.0, 180.0]
    add_readings(water_point, "w01018", day1 + wobble(24, 120.0), start=base)
    add_readings(water_point, "w01001", wobble(48, 7.0, amp=1.0), start=base)
    detect(base, base + dt.timedelta(days=2))
    alarm = Alarm.objects.get(kind="exceedance")
    assert alarm.start == base + dt.timedelta(days=1) and "日均值" in alarm.explanation


def test_flagged_and_marked_data_are_not_judged(air_point, base, detect):
    add_readings(air_point, "a21026", [80.0] * 3 + [30.0, 25.0, 36.0], start=base, flags="MMMNNN")
    add_readings(air_point, "a21002", wobble(6, 40.0, amp=8.0), start=base)
    detect(base, base + dt.timedelta(hours=6))
    assert not Alarm.objects.filter(kind="exceedance").exists()


def test_marked_period_excluded_from_detection(air_point, base, detect, enterprise_user):
    add_readings(air_point, "a21026", wobble(4, 30.0) + [90.0] * 2 + wobble(4, 30.0), start=base + dt.timedelta(days=1))
    services.create_mark(air_point.pk, code="", kind="fault", reason="脱硫设施故障，已报备",
                         start=base + dt.timedelta(days=1, hours=4), end=base + dt.timedelta(days=1, hours=6),
                         actor=enterprise_user)
    detect(base, base + dt.timedelta(days=2))
    assert not Alarm.objects.filter(kind="exceedance").exists()


def test_silent_point_that_was_heard_before_is_offline(air_point, base, detect):
    from envforce.monitoring.models import DeviceState

    add_readings(air_point, "a21026", [30.0, 36.0, 27.0, 33.0], start=base)
    DeviceState.objects.create(point=air_point, last_frame_at=base + dt.timedelta(hours=4))
    detect(base, base + dt.timedelta(hours=10))
    alarm = Alarm.objects.get(kind="offline")
    assert alarm.code == "" and alarm.start == base + dt.timedelta(hours=4) and alarm.episode.alarm_class == "device"


def test_dismissed_episode_is_not_reopened_by_a_rerun(air_point, base, detect, station):
    exceedance_day(air_point, base)
    detect(base, base + dt.timedelta(days=1))
    ep = Episode.objects.get()
    services.dismiss_episode(ep.pk, reason="经核实为标气校准残留，已更正", actor=station)
    run = detect(base, base + dt.timedelta(days=1))
    assert run.alarms_created == 0 and Episode.objects.count() == 1


def test_incremental_detection_picks_up_new_frames(air_point, base):
    from envforce.monitoring.models import Frame

    rows = add_readings(air_point, "a21026", [*wobble(8, 30.0), 85.0, 85.0, 30.0, 26.0], start=base)
    received = timezone.now() - dt.timedelta(minutes=5)
    Frame.objects.create(received_at=received, status="stored", mn=air_point.mn, cn="2061", point=air_point,
                         data_time=rows[0].data_time, raw=b"", raw_size=0, readings=len(rows))
    Frame.objects.create(received_at=received, status="stored", mn=air_point.mn, cn="2061", point=air_point,
                         data_time=rows[-1].data_time, raw=b"", raw_size=0, readings=1)
    run = services.detect_recent(actor=services.DETECTOR)
    assert run is not None and run.mode == "incremental" and run.frames_until == received
    assert Alarm.objects.filter(kind="exceedance").count() == 1
    # Nothing new since: the next call reads nothing for this point.
    again = services.detect_recent(actor=services.DETECTOR)
    assert again is None or again.alarms_created == 0


def test_detection_requires_the_review_permission(officer_a, base, air_point):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.run_detection(since=base, until=base + dt.timedelta(days=1), actor=officer_a)
    assert not DetectionRun.objects.exists()


def test_reader_method_matches_the_database(air_point, base):
    from django.db import connection

    exceedance_day(air_point, base)
    q = selectors.batch_query({("2061",): [air_point.pk]}, ["a21026"], base, base + dt.timedelta(days=1))
    stats = selectors.ReaderStats()
    arrays = selectors.fetch(q, stats)
    assert len(arrays) == 24 and float(arrays.v.max()) == 78.0  # only the code asked for
    assert stats.method == ("psycopg COPY BINARY" if connection.vendor == "postgresql" else "cursor")
    series = selectors.split_points(arrays)[air_point.pk][("a21026", "2061")]
    assert int(series.t[0]) == int(base.timestamp()) and list(series.flag[:1]) == [ord("N")]


@pytest.mark.django_db(transaction=True)
def test_bulk_reader_outside_a_transaction(air_point, base):
    """Outside a transaction PostgreSQL is read through psql (when installed); SQLite with its cursor."""
    import shutil

    from django.db import connection

    exceedance_day(air_point, base)
    q = selectors.batch_query({("2061",): [air_point.pk]}, ["a21026"], base, base + dt.timedelta(days=1))
    stats = selectors.ReaderStats()
    arrays = selectors.fetch(q, stats)
    assert len(arrays) == 24 and sorted(arrays.v.tolist())[-1] == 78.0
    if connection.vendor == "postgresql":
        assert stats.method == ("psql COPY BINARY" if shutil.which("psql") else "psycopg COPY BINARY")
    else:
        assert stats.method == "cursor"


def test_system_actor_may_backdate_a_run(air_point, base, detect):
    exceedance_day(air_point, base)
    at = base + dt.timedelta(days=1, hours=1)
    run = services.run_detection(since=base, until=base + dt.timedelta(days=1), actor=ACTOR, at=at)
    assert run.started_at == at and Alarm.objects.get(kind="exceedance").detected_at == at


def test_run_longer_than_the_look_back_stays_one_alarm_across_windows(air_point, base, detect, monkeypatch):
    monkeypatch.setattr(services, "WINDOW_DAYS", 2)
    monkeypatch.setattr(services, "LOOKBACK_DAYS", 1)
    start = base - dt.timedelta(days=3)
    add_readings(air_point, "a21026", [*wobble(2, 30.0), *wobble(4 * 24, 90.0, amp=10.0), *wobble(4, 30.0)], start=start)
    add_readings(air_point, "a21002", wobble(4 * 24 + 6, 40.0, amp=8.0), start=start)
    run = detect(start, start + dt.timedelta(days=4, hours=6))
    [alarm] = Alarm.objects.filter(kind="exceedance")
    assert alarm.start == start + dt.timedelta(hours=2) and alarm.end == start + dt.timedelta(days=4, hours=2)
    assert services.CONTINUED in alarm.explanation and run.alarms_created == 1  # no other kind either
    again = detect(start, start + dt.timedelta(days=4, hours=6))
    assert again.alarms_created == 0 and again.alarms_updated == 0


def test_only_one_incremental_run_at_a_time(air_point, base):
    """A run still going when the next beat fires: the second returns at once, changing nothing
    (PostgreSQL advisory lock); SQLite deployments run one detection process."""
    from django.db import connection

    from envforce.monitoring.models import Frame

    rows = add_readings(air_point, "a21026", [*wobble(8, 30.0), 85.0, 85.0, 30.0], start=base)
    Frame.objects.create(received_at=timezone.now() - dt.timedelta(minutes=5), status="stored", mn=air_point.mn,
                         cn="2061", point=air_point, data_time=rows[0].data_time, raw=b"", raw_size=0,
                         readings=len(rows))
    if connection.vendor == "postgresql":
        import psycopg

        s = connection.settings_dict
        with psycopg.connect(host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432, user=s["USER"],
                             password=s["PASSWORD"] or None, dbname=s["NAME"], autocommit=True) as other:
            other.execute("SELECT pg_advisory_lock(%s)", [services.DETECT_RECENT_LOCK])
            assert services.detect_recent(actor=services.DETECTOR) is None
            assert not DetectionRun.objects.exists() and not Alarm.objects.exists()
            other.execute("SELECT pg_advisory_unlock(%s)", [services.DETECT_RECENT_LOCK])
    run = services.detect_recent(actor=services.DETECTOR)  # the lock is free again (and released after)
    assert run is not None and Alarm.objects.filter(kind="exceedance").count() == 1
    assert services.detect_recent(actor=services.DETECTOR) is None or Alarm.objects.count() == 1
