"""process_frames: the fate of each frame, decided without sockets or database."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from envforce import hj212
from envforce.monitoring import rules
from envforce.monitoring.process import MAX_STORED_RAW, PointInfo, process_frames

from .helpers import MN, PW, RECEIVED, WHEN, upload

TZ = ZoneInfo("Asia/Shanghai")
POINTS = {MN: PointInfo(7, PW, True), "31010700000009": PointInfo(9, PW, False)}


def run(*raws: bytes, points=POINTS):
    results = hj212.StreamFramer().feed(b"".join(raws))
    return process_frames(results, points=points, received_at=RECEIVED, peer="10.0.0.1:5000", node="n1", tz=TZ)


def test_stores_a_valid_upload_with_its_readings_and_acknowledges_it():
    [o] = run(upload(1))
    assert o.frame.status == "stored" and o.frame.reason == ""
    assert o.frame.point_id == 7 and o.frame.mn == MN and o.frame.cn == "2011"
    assert o.frame.qn == "20261128100000001" and o.frame.peer == "10.0.0.1:5000" and o.frame.node == "n1"
    # DataTime is the district's wall clock: 10:00 in Shanghai is 02:00 UTC.
    assert o.frame.data_time == datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
    assert o.frame.raw == upload(1)
    assert [(r.code, r.values, r.flag) for r in o.readings] == [
        ("a21026", {"rtd": Decimal("12.5")}, "N"), ("a21002", {"rtd": Decimal("30.25")}, "N")]
    assert all(r.cn == "2011" and r.point_id == 7 for r in o.readings)
    assert o.reply is not None
    ack = hj212.decode_frame(o.reply)
    assert ack.ok and ack.cn == "9014" and ack.qn == "20261128100000001" and ack.mn == MN and ack.st == "91"


def test_no_reply_when_the_flag_does_not_ask_for_one():
    [o] = run(upload(1, flag=4))
    assert o.frame.status == "stored" and o.reply is None


def test_notification_gets_a_9013_reply():
    frame = hj212.build_frame("1013", st="31", pw=PW, mn=MN, qn="20261128100000001", flag=5, cp={})
    [o] = run(frame)
    assert hj212.decode_frame(o.reply).cn == "9013"
    assert o.readings == []


def test_replies_from_the_logger_are_never_answered():
    frame = hj212.build_frame("9014", st="91", pw=PW, mn=MN, qn="20261128100000001", flag=5, cp={})
    [o] = run(frame)
    assert o.frame.status == "stored" and o.reply is None


def test_wrong_password_is_rejected_without_reply_and_keeps_the_point():
    [o] = run(upload(1, pw="654321"))
    assert (o.frame.status, o.frame.reason, o.frame.point_id) == ("rejected", "pw_mismatch", 7)
    assert o.frame.message == "访问密码PW错误"
    assert o.readings == [] and o.reply is None
    assert o.frame.raw == upload(1, pw="654321")


def test_unknown_mn_is_quarantined_and_acknowledged():
    [o] = run(upload(1, mn="UNKNOWN0001", pw="999999"))
    assert (o.frame.status, o.frame.reason, o.frame.point_id) == ("quarantined", "unknown_mn", None)
    assert o.quarantine_pw == "999999"
    assert o.readings == []
    assert hj212.decode_frame(o.reply).cn == "9014"


def test_inactive_point_is_rejected():
    [o] = run(upload(1, mn="31010700000009"))
    assert (o.frame.status, o.frame.reason, o.frame.point_id) == ("rejected", "inactive_point", 9)
    assert o.readings == [] and o.reply is None


def test_malformed_frame_is_rejected_with_its_raw_bytes():
    good = upload(1)
    bad = good[:-6] + b"0000\r\n"  # wrong CRC
    [o] = run(bad)
    assert (o.frame.status, o.frame.reason) == ("rejected", "bad_crc")
    assert o.frame.raw == bad and o.frame.raw_size == len(bad)
    assert o.frame.message.startswith("CRC校验错误")
    assert not o.ok and o.reply is None


def test_frame_without_mn_is_rejected():
    frame = hj212.build_frame("2011", st="31", pw=PW, mn=None, qn="20261128100000001", flag=5,
                              cp={"DataTime": "20261128100000", "a21026-Rtd": "1"})
    [o] = run(frame)
    assert (o.frame.status, o.frame.reason) == ("rejected", "no_mn")


def test_data_without_a_plausible_data_time_is_rejected():
    [o] = run(upload(1, when=datetime(2099, 1, 1)))  # noqa: DTZ001 - device wall clock
    assert (o.frame.status, o.frame.reason) == ("rejected", "bad_data_time")
    assert o.readings == [] and o.reply is None


def test_period_data_maps_min_avg_max_cou_and_converted_values():
    values = {"a21026": {"Min": "1.0", "Avg": "2.5", "Max": "4", "Cou": "0.12", "ZsAvg": "3.1", "Flag": "M",
                         "EFlag": "A1", "SampleTime": "20261128100000"}}
    [o] = run(upload(1, cn="2061", values=values))
    [r] = o.readings
    assert r.cn == "2061" and r.flag == "M"
    assert r.values == {"min": Decimal("1.0"), "avg": Decimal("2.5"), "max": Decimal("4"),
                        "cou": Decimal("0.12"), "zs_avg": Decimal("3.1")}
    assert r.extra == {"EFlag": "A1", "SampleTime": "20261128100000"}


def test_values_beyond_the_column_keep_their_exact_text():
    values = {"a21026": {"Rtd": "1.23456789012345678"}, "a21002": {"Rtd": "1" + "0" * 20},
              "a19001": {"Rtd": "abc"}}
    [o] = run(upload(1, values=values))
    by_code = {r.code: r for r in o.readings}
    assert by_code["a21026"].values == {"rtd": Decimal("1.234567890123457")}
    assert by_code["a21026"].extra == {"exact": {"Rtd": "1.23456789012345678"}}
    assert by_code["a21002"].values == {} and by_code["a21002"].extra == {"exact": {"Rtd": "1" + "0" * 20}}
    assert by_code["a19001"].extra == {"exact": {"Rtd": "abc"}}


def test_running_state_upload_is_a_reading_and_a_status():
    [o] = run(upload(1, cn="2021", values={"SB1": {"RS": "1"}}))
    [r] = o.readings
    assert (r.cn, r.code, r.values) == ("2021", "SB1", {"rtd": Decimal("1")})
    assert o.status_cp == {"DataTime": "20261128100000", "SB1-RS": "1"}


def test_2005_era_frame_keeps_repeated_flags():
    raw = b"##0139ST=32;CN=2011;PW=123456;MN=LD130133000015;CP=&&DataTime=20160824003817000;B01-Rtd=36.91;011-Rtd=231.0,011-Flag=N;060-Rtd=1.803,060-Flag=N&&4980\r\n"
    [o] = run(raw, points={"LD130133000015": PointInfo(3, "123456", True)})
    # 2016 data is more than five years old: kept as a frame, not as readings.
    assert o.frame.reason == "bad_data_time"
    frame = hj212.decode_frame(raw)
    assert frame.ok
    recent = {"LD130133000015": PointInfo(3, "123456", True)}
    [o] = process_frames([frame], points=recent, received_at=datetime(2016, 8, 24, tzinfo=UTC), tz=TZ)
    assert o.frame.status == "stored"
    assert {r.code: r.values["rtd"] for r in o.readings} == {
        "B01": Decimal("36.91"), "011": Decimal("231.0"), "060": Decimal("1.803")}
    assert o.reply is None  # no Flag: a 2005-era logger does not ask for replies


def test_packed_stream_gives_one_outcome_per_frame_in_order():
    outcomes = run(upload(1), upload(2, pw="x"), upload(3))
    assert [o.frame.qn[-3:] for o in outcomes] == ["001", "002", "003"]
    assert [o.frame.status for o in outcomes] == ["stored", "rejected", "stored"]


def test_garbage_is_kept_up_to_the_cap():
    error = hj212.DecodeError(hj212.ErrorCode.GARBAGE, 0, "x", b"j" * (MAX_STORED_RAW + 100))
    [o] = process_frames([error], points=POINTS, received_at=RECEIVED, tz=TZ)
    assert o.frame.status == "rejected" and o.frame.reason == "garbage"
    assert len(o.frame.raw) == MAX_STORED_RAW and o.frame.raw_size == MAX_STORED_RAW + 100


def test_rules_reply_kind_and_online_window():
    assert rules.reply_kind("2011", True) == "data"
    assert rules.reply_kind("2011", False) is None
    assert rules.reply_kind("1013", True) == "notify"
    assert rules.reply_kind("9012", True) is None
    now = datetime(2026, 11, 28, 12, tzinfo=UTC)
    assert rules.is_online(now - rules.ONLINE_WINDOW, now)
    assert not rules.is_online(now - rules.ONLINE_WINDOW - rules.ONLINE_WINDOW / 30, now)
    assert not rules.is_online(None, now)
    assert WHEN.tzinfo is None


def test_fast_replies_are_byte_for_byte_the_codec_replies():
    from envforce.monitoring.process import _reply_for

    cases = [upload(1), upload(2, flag=9), upload(3, flag=1),
             hj212.build_frame("1013", st="31", pw=PW, mn=MN, qn="20261128100000004", flag=5, cp={})]
    for raw in cases:
        frame = hj212.decode_frame(raw)
        expected = (hj212.build_notify_reply(frame) if frame.cn == "1013" else hj212.build_data_ack(frame))
        assert _reply_for(frame, frame.flag) == expected


def test_own_cp_split_gives_the_codec_items_for_clean_frames():
    import json

    from envforce.monitoring.process import _cp_pairs
    from tests.conftest import shared_path

    rows = shared_path("reference", "hj212-samples.jsonl").read_text("utf-8").splitlines()
    checked = 0
    for row in rows:
        frame = hj212.decode_frame(json.loads(row)["raw"].encode("utf-8"))
        if not frame.ok:
            continue
        items = [(f.key, f.value) for f in frame.cp_items]
        assert [tuple(p) for p in _cp_pairs(frame)] == items
        checked += 1
    assert checked > 50


def _equivalence_cases() -> list[bytes]:
    """Frames for the batch path: clean ones it decides, and every kind it must hand over."""
    plain = {"a21026": {"Rtd": "12.5", "Flag": "N"}, "a21002": {"Rtd": "-0.424219", "Flag": "T"}}
    cases = [upload(i, values=plain) for i in range(1, 4)]
    cases += [
        upload(4, cn="2061", values={"a21026": {"Min": "1.0", "Avg": "+2.50", "Max": "004", "Cou": "0.",
                                                "ZsAvg": "3.1", "Flag": "MMMMMM"}}),
        upload(5, values={"a21026": {"Rtd": "0.0000001"}, "a21002": {"Rtd": "-0"}}),  # no Flag at all
        upload(6, flag=4), upload(7, flag=9), upload(8, pw="654321"), upload(9, mn="31010799999999"),
        upload(10, mn="31010700000009"),  # inactive point
        upload(11, when=datetime(2016, 1, 1)),  # noqa: DTZ001 - implausible data time
        upload(12, cn="2021", values={"SB1": {"RS": "1"}}),  # status upload: general path
        upload(13, values={"a21026": {"Rtd": "1.23456789012345678"}}),  # does not fit the column
        upload(14, values={"a21026": {"Rtd": "1" + "0" * 20}}),
        upload(15, values={"a21026": {"Rtd": "abc"}}), upload(16, values={"a21026": {"Rtd": ""}}),
        upload(17, values={"a21026": {"Rtd": "1e5"}}), upload(18, values={"a21026": {"Rtd": ".5"}}),
        upload(19, values={"a21026": {"Rtd": "1", "Flag": ""}}),  # empty flag
        upload(20, values={"a21026": {"Rtd": "1", "SampleTime": "20261128100000"}}),  # goes to extra
        upload(21, values={"a21026": {"Rtd": "1", "RS": "2"}}),  # two values for one column
        upload(22, values={"a21026": {"Rtd": "1\\2"}}),  # a backslash: COPY would need escapes
        upload(23, values={"w" + "1" * 16 + "a": {"Rtd": "1"}, "w" + "1" * 16 + "b": {"Rtd": "2"}}),
        upload(24, values={"{a}": {"Rtd": "1", "Flag": "N"}}),  # braces in a code
        upload(25).replace(b"&&", b"&&", 1)[:-6] + b"%04x\r\n" % hj212.crc16(upload(25)[6:-6]),  # lower-case CRC
        upload(26)[:-2],  # no CR LF (completed by the next frame)
        hj212.build_frame("1013", st="31", pw=PW, mn=MN, qn="20261128100000027", flag=5, cp={}),
        b"##0010junk\r\n",
    ]
    return cases


def test_batch_path_decides_exactly_as_the_frame_path():
    from envforce.monitoring.process import process_batch, process_frame

    results = hj212.StreamFramer().feed(b"".join(_equivalence_cases()))
    assert len(results) == 28
    n = len(results)
    kwargs = {"points": POINTS, "node": "n1", "tz": TZ}
    batch = process_batch(results, [RECEIVED] * n, ["10.0.0.1:5000"] * n, **kwargs)
    single = [process_frame(r, received_at=RECEIVED, peer="10.0.0.1:5000", **kwargs) for r in results]
    assert batch == single
    assert sum(o.frame.status == "stored" for o in batch) >= 10


def test_batch_path_copy_text_holds_the_frame_path_readings():
    from envforce.monitoring.process import process_batch, process_frame
    from envforce.monitoring.store import _reading_lines

    results = hj212.StreamFramer().feed(b"".join(_equivalence_cases()))
    n = len(results)
    kwargs = {"points": POINTS, "node": "n1", "tz": TZ}
    copied = process_batch(results, [RECEIVED] * n, ["p"] * n, copy=True, **kwargs)
    fast = 0
    for result, o in zip(results, copied, strict=True):
        expected = process_frame(result, received_at=RECEIVED, peer="p", **kwargs)
        assert o.frame == expected.frame and o.reply == expected.reply
        if o.copy_text is None:
            assert o.readings == expected.readings and o.copy_rows == 0
            continue
        fast += 1
        assert o.readings == [] and o.copy_rows == len(expected.readings)
        got = [line.split("\t") for line in o.copy_text.split("\n")]
        want = [line.split("\t") for line in _reading_lines(expected.readings, "")]
        assert len(got) == len(want)
        for g, w in zip(got, want, strict=True):
            # Value columns: the text as sent, the same number as the Decimal's text.
            assert g[:4] == w[:4] and g[13:] == w[13:]
            assert [None if v == "\\N" else Decimal(v) for v in g[4:13]] == [
                None if v == "\\N" else Decimal(v) for v in w[4:13]]
    assert fast >= 8


def test_a_registered_frame_whose_header_cannot_be_echoed_is_stored_without_reply():
    segment = b"QN=20261128100000009;ST=31;CN=2011;PW=123456;MN=3101,07;Flag=5;CP=&&DataTime=20261128100000;a21026-Rtd=1&&"
    raw = b"##%04d%s%04X\r\n" % (len(segment), segment, hj212.crc16(segment))
    [o] = run(raw, points={"3101,07": PointInfo(3, PW, True)})
    assert (o.frame.status, o.frame.point_id, o.reply) == ("stored", 3, None)
    assert [(r.code, r.values) for r in o.readings] == [("a21026", {"rtd": Decimal("1")})]
