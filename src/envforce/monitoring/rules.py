"""Pure rules of the monitoring data plane: no ORM, no sockets, no clocks (``now`` is passed in).

- which frames carry readings and how a pollutant's fields map onto reading columns;
- how a device's wall-clock ``DataTime`` becomes an aware instant;
- when a device counts as online;
- what the ingest server answers (HJ 212-2017 §6.5).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from decimal import ROUND_HALF_EVEN, Decimal

from envforce.hj212 import parse_decimal

# --- Readings ---------------------------------------------------------------------------------

# Upload command codes whose pollutant values are stored as readings (HJ 212-2017 table 9).
DATA_CNS: frozenset[str] = frozenset({"2011", "2051", "2061", "2031"})
# Facility state uploads, stored as readings too (rtd = SBx-RS state code / SBx-RT hours).
STATE_CNS: frozenset[str] = frozenset({"2021", "2041"})
READING_CNS: frozenset[str] = DATA_CNS | STATE_CNS
# Uploads that describe the device rather than the emissions: kept as DeviceState.last_status.
STATUS_CNS: frozenset[str] = frozenset({"2021", "2041", "2081", "3020"})

# Pollutant key suffix -> Reading column (HJ 212-2017 table 4).  RS/RT are the facility running
# state (2021) and running time (2041); the rest of a pollutant's fields go to ``extra``.
SUFFIX_COLUMNS: dict[str, str] = {
    "Rtd": "rtd",
    "Avg": "avg",
    "Min": "min",
    "Max": "max",
    "Cou": "cou",
    "ZsRtd": "zs_rtd",
    "ZsAvg": "zs_avg",
    "ZsMin": "zs_min",
    "ZsMax": "zs_max",
    "RS": "rtd",
    "RT": "rtd",
}
VALUE_COLUMNS: tuple[str, ...] = ("rtd", "avg", "min", "max", "cou", "zs_rtd", "zs_avg", "zs_min", "zs_max")

# NUMERIC(33, 15): 18 integer digits, 15 decimals (models.Reading).
VALUE_DECIMALS = 15
VALUE_INT_DIGITS = 18
_QUANTUM = Decimal(1).scaleb(-VALUE_DECIMALS)
_LIMIT = Decimal(10) ** VALUE_INT_DIGITS


@dataclass(frozen=True, slots=True)
class FittedValue:
    """A value ready for a NUMERIC(33,15) column: ``value`` (None if it cannot be stored) and
    ``exact`` (the text as sent, when the column does not hold it exactly)."""

    value: Decimal | None
    exact: str | None


def fit_value(text: str, parsed: Decimal | None) -> FittedValue:
    """Fit a sent value into the column without ever losing the original text.

    More than 15 decimals: rounded half-even, original kept.  Not a number, or 18+ integer
    digits: column NULL, original kept.
    """
    if parsed is None or not parsed.is_finite() or abs(parsed) >= _LIMIT:
        return FittedValue(None, text)
    exponent = parsed.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -VALUE_DECIMALS:
        return FittedValue(parsed.quantize(_QUANTUM, rounding=ROUND_HALF_EVEN), text)
    return FittedValue(parsed, None)


def fit_text(text: str) -> tuple[Decimal | None, str | None]:
    """``fit_value`` from the text alone, with a fast path for plain ``[-]digits[.digits]``
    (what loggers send); anything else goes through the strict parser (``hj212.parse_decimal``
    semantics: no NaN, no exponent, no underscores, no spaces)."""
    body = text[1:] if text[:1] in "+-" else text
    whole, _, frac = body.partition(".")
    if (whole.isdigit() and whole.isascii() and (not frac or (frac.isdigit() and frac.isascii()))
            and len(frac) <= VALUE_DECIMALS and len(whole.lstrip("0")) <= VALUE_INT_DIGITS):
        return Decimal(text), None
    fitted = fit_value(text, parse_decimal(text))
    return fitted.value, fitted.exact


def device_time(naive: datetime | None, tz: tzinfo) -> datetime | None:
    """A logger's DataTime (wall-clock time of the district, HJ 212 carries no zone) as an
    aware instant.  Asia/Shanghai has no DST, so this is unambiguous."""
    if naive is None:
        return None
    return naive.replace(tzinfo=tz)


# Sane window for DataTime: anything outside is kept on the frame but not stored as a reading
# (a clock at 1970 or 2099 would otherwise create partitions and pollute charts).
DATA_TIME_PAST = timedelta(days=366 * 5)
DATA_TIME_FUTURE = timedelta(days=2)


def data_time_window(now: datetime) -> tuple[datetime, datetime]:
    """The plausible DataTime range for data received at ``now``: 5 years before to 2 days after
    (loggers re-send old data after long outages; clocks drift a little ahead)."""
    return now - DATA_TIME_PAST, now + DATA_TIME_FUTURE


def data_time_plausible(data_time: datetime, now: datetime) -> bool:
    """Is ``data_time`` within ``data_time_window(now)``?"""
    earliest, latest = data_time_window(now)
    return earliest <= data_time <= latest


# --- Device state -------------------------------------------------------------------------------

# A logger uploads real-time data every 30 s to 1 h and minute data at least every 30 min
# (RtdInterval 30–3600 s, MinInterval ≤ 30 min; HJ 212-2017 table 4).  Heard from within the
# last 30 minutes = online.  Provisional: a per-point interval would be more exact.
ONLINE_WINDOW = timedelta(minutes=30)


def is_online(last_frame_at: datetime | None, now: datetime, window: timedelta = ONLINE_WINDOW) -> bool:
    return last_frame_at is not None and now - last_frame_at <= window


# --- Replies ----------------------------------------------------------------------------------

# Notifications answered with 9013 instead of 9014 (HJ 212-2017 §6.5.3, C.4, C.11).
NOTIFICATION_CNS: frozenset[str] = frozenset({"1013", "2012", "2022"})
# Replies from the logger (9011/9012/9013/9014) are never answered.
REPLY_CNS: frozenset[str] = frozenset({"9011", "9012", "9013", "9014"})


def reply_kind(cn: str, needs_ack: bool) -> str | None:
    """"data" (9014), "notify" (9013) or None.  Only when the Flag's A bit asks (§3)."""
    if not needs_ack or cn in REPLY_CNS:
        return None
    return "notify" if cn in NOTIFICATION_CNS else "data"
