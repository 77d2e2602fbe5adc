"""``envforce hj212 decode|encode``: output shape, exit codes, round trip."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from envforce.hj212 import wrap_segment
from envforce.hj212.cli import main

GOOD = wrap_segment(
    "QN=20160801085857223;ST=32;CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=5;"
    "CP=&&DataTime=20160801085857;w01018-Rtd=101.7,w01018-Flag=N;i11001-Info=//清洗//&&"
)


def run(monkeypatch: pytest.MonkeyPatch, argv: list[str], stdin: bytes) -> tuple[int, bytes]:
    out = io.BytesIO()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(out, encoding="utf-8"))
    code = main(argv)
    sys.stdout.flush()
    return code, out.getvalue()


def json_lines(data: bytes) -> list[dict[str, object]]:
    return [json.loads(line) for line in data.decode("utf-8").splitlines()]


def test_decode_ok(monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = run(monkeypatch, ["decode"], GOOD + GOOD.rstrip(b"\r\n") + b"\n")
    assert code == 0
    rows = json_lines(out)
    assert len(rows) == 2 and rows[0] == rows[1]
    assert rows[0] == {
        "ok": True,
        "QN": "20160801085857223",
        "ST": "32",
        "CN": "2011",
        "PW": "123456",
        "MN": "010000A8900016F000169DC0",
        "Flag": "5",
        "PNUM": None,
        "PNO": None,
        "CP": {
            "DataTime": "20160801085857",
            "w01018-Rtd": "101.7",
            "w01018-Flag": "N",
            "i11001-Info": "//清洗//",
        },
    }


def test_decode_failures_and_leniencies(monkeypatch: pytest.MonkeyPatch) -> None:
    lower = GOOD[:-6] + GOOD[-6:-2].lower() + b"\r\n"
    code, out = run(monkeypatch, ["decode"], b"garbage\n\n" + lower + GOOD[:-6] + b"0000\r\n")
    assert code == 1
    rows = json_lines(out)
    assert [r["ok"] for r in rows] == [False, True, False]  # the blank line is skipped
    assert rows[0]["error"] == "no_header" and rows[0]["detail"]
    assert rows[1]["leniencies"] == ["lowercase_crc"]
    assert rows[2]["error"] == "bad_crc" and isinstance(rows[2]["offset"], int)


def test_decode_strict(monkeypatch: pytest.MonkeyPatch) -> None:
    lower = GOOD[:-6] + GOOD[-6:-2].lower() + b"\r\n"
    code, out = run(monkeypatch, ["decode", "--strict"], lower)
    assert code == 1 and json_lines(out)[0]["error"] == "bad_crc"


def test_decode_groups_keeps_repeats(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = wrap_segment("ST=31;CN=2011;PW=1;MN=1;CP=&&01-Rtd=1,01-Flag=N;01-ZsRtd=2,01-Flag=D&&")
    code, out = run(monkeypatch, ["decode", "--groups"], raw)
    row = json_lines(out)[0]
    assert code == 0
    assert row["CP"] == {"01-Rtd": "1", "01-Flag": "N", "01-ZsRtd": "2"}
    assert row["CP_groups"] == [
        [["01-Rtd", "1"], ["01-Flag", "N"]],
        [["01-ZsRtd", "2"], ["01-Flag", "D"]],
    ]


def test_encode_round_trip(monkeypatch: pytest.MonkeyPatch, samples: dict[str, bytes]) -> None:
    from envforce.hj212 import Frame, decode_frame

    clean = [raw for raw in samples.values() if decode_frame(raw, strict=True).ok]
    code, decoded = run(monkeypatch, ["decode", "--groups"], b"".join(clean))
    assert code == 0
    code, encoded = run(monkeypatch, ["encode"], decoded)
    assert code == 0
    again = encoded.split(b"\r\n")[:-1]
    assert len(again) == len(clean)
    for original, frame in zip(clean, again, strict=True):
        a = decode_frame(original)
        b = decode_frame(frame + b"\r\n", strict=True)
        assert isinstance(a, Frame) and isinstance(b, Frame)
        assert b.header == a.header and b.cp_groups == a.cp_groups


def test_encode_keeps_json_numbers_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    line = b'{"ST": "32", "CN": 2011, "PW": "1", "MN": "M", "Flag": 5, "CP": {"a-Rtd": 101.70}}\n'
    code, out = run(monkeypatch, ["encode"], line)
    assert code == 0
    assert out == wrap_segment("ST=32;CN=2011;PW=1;MN=M;Flag=5;CP=&&a-Rtd=101.70&&")


def test_encode_errors_are_json_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = b"\n".join(
        [
            b"not json",
            b"[1, 2]",
            b'{"ST": "32"}',
            b'{"CN": "2011", "CP": {"a": "1;2"}}',
            b'{"CN": "2011", "CP": {"a": true}}',
            b'{"CN": "2011", "bogus": 1}',
            b'{"ok": false, "error": "bad_crc"}',
            b'{"CN": "2011", "CP": "a=1"}',
        ]
    )
    code, out = run(monkeypatch, ["encode"], lines + b"\n")
    assert code == 1
    text = out.split(b"\n")
    errors = [json.loads(x) for x in text if x.startswith(b"{")]
    assert [e["error"] for e in errors] == [
        "bad_json",
        "bad_json",
        "missing_field",
        "bad_value",
        "bad_value",
        "bad_json",
        "bad_input",
    ]
    assert [e["line"] for e in errors] == [1, 2, 3, 4, 5, 6, 7]
    assert out.endswith(wrap_segment("CN=2011;CP=&&a=1&&"))


@pytest.mark.parametrize(
    "argv", [[], ["bogus"], ["decode", "--nope"], ["encode", "--max-segment", "x"]]
)
def test_usage_errors_exit_2(monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> None:
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    code, _ = run(monkeypatch, argv, b"")
    assert code == 2


def test_help_exits_0(monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = run(monkeypatch, ["--help"], b"")
    assert code == 0 and b"decode" in out


def test_through_the_project_command() -> None:
    """``envforce hj212 decode`` dispatches here without starting Django."""
    proc = subprocess.run(
        [sys.executable, "-m", "envforce.cli", "hj212", "decode"],
        input=GOOD + b"##0000\r\n",
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    rows = json_lines(proc.stdout)
    assert rows[0]["ok"] is True and rows[0]["CN"] == "2011"
    assert rows[1] == {"ok": False, "error": "truncated", "offset": 6, "detail": rows[1]["detail"]}
