"""Reading the 80020 XML layout that grid companies' metering systems send (docs/rules.md, "Bulk formats").

    <message class="80020" version="2" number="…">
      <datetime><timestamp>…</timestamp><daylightsavingtime>0</daylightsavingtime><day>YYYYMMDD</day></datetime>
      <sender>…</sender>
      <area>…
        <measuringpoint code="METER ID" name="…">
          <measuringchannel code="01" desc="…">          active energy received, kWh: the reading
            <period start="HHMM" end="HHMM"><value status="0">12.5</value></period> …
          </measuringchannel>
          <measuringchannel code="02" …>…                other channels are ignored

The periods (15, 30 or 60 minutes, in the sender's local time) are turned into
UTC instants and summed, exactly, into UTC hours. Each complete hour is
yielded as the same raw reading the CSV reader yields, so the checks, the
COPY, the merge and the corrections downstream are shared. An hour with a
period missing is not a reading: it is an error on the channel's line.

The file is parsed as it streams by with defusedxml, which refuses a document
type declaration and so entity expansion ("XML bombs") and references to
outside files.
"""

import codecs
import dataclasses
import datetime as dt
import re
import zoneinfo
from collections.abc import Iterator
from decimal import Decimal
from typing import BinaryIO
from xml.parsers.expat import ErrorString

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, ParseError
from django.utils.translation import gettext as _

from registry.services.csvfiles import KWH_TEXT, NEGATIVE_ZERO, kwh_problem

CLASS = "80020"
READING_CHANNEL = "01"  # active energy received
PERIOD_MINUTES = (15, 30, 60)
READ_BYTES = 1 << 16

# An encoding named in the XML declaration at the head of the file.
DECLARED_ENCODING = re.compile(rb"(\xef\xbb\xbf)?\s*<\?xml\b[^?]*\bencoding\s*=\s*[\"'][A-Za-z0-9._-]+[\"']")
HHMM = re.compile(r"([01][0-9]|2[0-4])([0-5][0-9])")
DAY = re.compile(r"[0-9]{8}")
# Where each element of interest sits in the message.
DAY_PATH = ("message", "datetime", "day")
POINT_PATH = ("message", "area", "measuringpoint")
CHANNEL_PATH = (*POINT_PATH, "measuringchannel")
PERIOD_PATH = (*CHANNEL_PATH, "period")
VALUE_PATH = (*PERIOD_PATH, "value")
WATCHED = frozenset(("day", "measuringpoint", "measuringchannel", "period", "value"))


@dataclasses.dataclass
class StatusCount:
    """Values the metering system marked with a non-zero status, set each time the file is read."""

    flagged: int = 0


def is_xml(head: bytes) -> bool:
    """Tell whether a file's first bytes are XML (an 80020 message) rather than CSV."""
    return head.removeprefix(codecs.BOM_UTF8).lstrip().startswith(b"<")


def readings_80020(
    name: str, stream: BinaryIO, errors, *, zone: zoneinfo.ZoneInfo, status: StatusCount | None = None
) -> Iterator[tuple[str, int, str, str, str]]:
    """Yield (name, line, meter_id, period_start, kwh) for each complete hour of channel 01 in an 80020 file.

    `stream` must be seekable: a file that declares no encoding is read once to
    tell UTF-8 from windows-1251. `errors` is the import's error list.
    """
    head = stream.read(READ_BYTES)
    if not head.strip():
        errors.add(name, 1, "", _("the file is empty"))
        return
    stream.seek(0)
    encoding = None if DECLARED_ENCODING.match(head) else _undeclared_encoding(stream)
    message = _Message(name, errors, zone)
    parser = DefusedXMLParser(target=message, encoding=encoding, forbid_dtd=True)
    message.expat = parser.parser
    try:
        while chunk := stream.read(READ_BYTES):
            parser.feed(chunk)
            yield from message.take()
            if errors.full:
                return
        parser.close()
        yield from message.take()
    except ParseError as error:
        line = error.position[0] if error.position else message.line
        errors.add(name, line, "", _("malformed XML: %(error)s") % {"error": ErrorString(error.code)})
    except DefusedXmlException:
        errors.add(
            name,
            message.line,
            "",
            _(
                "refused: the file declares a document type (<!DOCTYPE …>), where entities that expand without "
                "limit or read other files can hide; 80020 messages have none"
            ),
        )
    except _Not80020 as refused:
        errors.add(name, message.line, "", str(refused))
    finally:
        if status is not None:
            status.flagged = message.flagged


def _undeclared_encoding(stream: BinaryIO) -> str:
    """UTF-8 if the whole file reads as UTF-8, windows-1251 otherwise; the stream is left at its start."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := stream.read(READ_BYTES):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "windows-1251"
    finally:
        stream.seek(0)
    return "utf-8"


class _Not80020(Exception):
    """The root element is not <message class="80020">: nothing else in the file is read."""


@dataclasses.dataclass
class _Period:
    hour: dt.datetime  # the UTC hour it falls in
    start: int  # minutes into that hour
    end: int
    line: int
    values: int = 0


@dataclasses.dataclass
class _Hour:
    kwh: Decimal = Decimal(0)
    spans: list[tuple[int, int]] = dataclasses.field(default_factory=list)
    broken: bool = False  # an error was reported on one of its periods: no reading, no second error


class _Message:
    """The parser's target: follows the elements as they open and close, gathering channel 01's hours."""

    def __init__(self, name: str, errors, zone: zoneinfo.ZoneInfo):
        self.name = name
        self.errors = errors
        self.zone = zone
        self.expat = None  # the expat parser, for line numbers
        self.path: list[str] = []
        self.text: list[str] | None = None  # the text of a <day> or <value> being read
        self.day: dt.date | None = None
        # (minutes since midnight, fold) → (UTC hour, minutes into it), or None for a skipped time; for self.day
        self.instants: dict[tuple[int, int], tuple[dt.datetime, int] | None] = {}
        self.day_missing_told = False
        self.meter = ""
        self.meter_line = 0
        self.channel_line = 0  # non-zero while inside a channel 01 of a measuring point with a code
        self.hours: dict[dt.datetime, _Hour] = {}
        self.period: _Period | None = None
        self.flagged = 0
        self.ready: list[tuple[str, int, str, str, str]] = []

    @property
    def line(self) -> int:
        return self.expat.CurrentLineNumber if self.expat is not None else 1

    def take(self) -> list[tuple[str, int, str, str, str]]:
        ready, self.ready = self.ready, []
        return ready

    def error(self, line: int, column: str, reason: str) -> None:
        self.errors.add(self.name, line, column, reason)

    # The TreeBuilder-like interface the parser calls.

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if "}" in tag:
            tag = tag.rpartition("}")[2]
        path = self.path
        path.append(tag)
        if len(path) == 1:
            if tag != "message" or attrs.get("class", "").strip() != CLASS:
                raise _Not80020(
                    _('not an 80020 message: the file must begin with <message class="80020">, not <%(tag)s>')
                    % {"tag": tag}
                )
            return
        if tag not in WATCHED:
            return
        where = tuple(path)
        if where == DAY_PATH or (where == VALUE_PATH and self.period is not None):
            self.text = []
        if where == POINT_PATH:
            self.meter = attrs.get("code", "").strip()
            self.meter_line = self.line
            if not self.meter:
                self.error(self.line, "measuringpoint", _("the measuring point has no code (the meter id)"))
        elif where == CHANNEL_PATH:
            if self.meter and attrs.get("code", "").strip() == READING_CHANNEL:
                self.channel_line = self.line
                self.hours = {}
        elif where == PERIOD_PATH and self.channel_line:
            self.period = self._period(attrs.get("start", "").strip(), attrs.get("end", "").strip(), attrs)
        elif where == VALUE_PATH and self.channel_line and attrs.get("status", "").strip() not in ("", "0"):
            self.flagged += 1

    def data(self, text: str) -> None:
        if self.text is not None:
            self.text.append(text)

    def end(self, tag: str) -> None:
        if self.path.pop() not in WATCHED:
            return
        where = (*self.path, tag.rpartition("}")[2])
        if where == DAY_PATH:
            self._day("".join(self.text).strip())
        elif where == VALUE_PATH:
            if self.period is not None:
                self._value("".join(self.text).strip())
            self.text = None
        elif where == PERIOD_PATH and self.period is not None:
            if self.period.values == 0:
                self.error(self.period.line, "value", _("the period has no value"))
                self.hours[self.period.hour].broken = True
            self.period = None
        elif where == CHANNEL_PATH and self.channel_line:
            self._channel_end()
            self.channel_line = 0
        elif where == POINT_PATH:
            self.meter = ""

    def close(self) -> None:
        return None

    # What each element means.

    def _day(self, text: str) -> None:
        try:
            self.day = dt.datetime.strptime(text, "%Y%m%d").date() if DAY.fullmatch(text) else None
        except ValueError:
            self.day = None
        self.text = None
        self.instants = {}
        if self.day is None:
            self.error(self.line, "day", _("“%(value)s” is not a day written YYYYMMDD") % {"value": text})
            self.day_missing_told = True
        elif not _has_instants(self.day, self.zone):
            self.error(self.line, "day", _("“%(value)s” is not a day of meter readings") % {"value": text})
            self.day = None
            self.day_missing_told = True

    def _period(self, start: str, end: str, attrs: dict[str, str]) -> _Period | None:
        line = self.line
        if self.day is None:
            if not self.day_missing_told:
                self.error(line, "day", _("the message gives no <datetime><day> before its periods"))
                self.day_missing_told = True
            return None
        first, last = _minutes(start), _minutes(end)
        if first is None or first >= 24 * 60 or last is None:
            self.error(
                line,
                "period",
                _("start=“%(start)s” end=“%(end)s”: write the times HHMM (end 0000 or 2400 for midnight)")
                % {"start": start, "end": end},
            )
            return None
        if last == 0:
            last = 24 * 60
        length = last - first
        times = {"start": _clock(first), "end": _clock(last), "zone": self.zone.key, "day": self.day.isoformat()}
        if length not in PERIOD_MINUTES:
            self.error(line, "period", _("%(start)s–%(end)s: a period lasts 15, 30 or 60 minutes") % times)
            return None
        # On the night clocks go back an hour is lived twice; summer="0" marks the second (standard time).
        fold = 1 if attrs.get("summer", "").strip() == "0" else 0
        key = (first, fold)
        if key not in self.instants:
            self.instants[key] = self._instant(first, fold)
        place = self.instants[key]
        if place is None:
            self.error(
                line,
                "period",
                _("%(start)s on %(day)s does not exist in %(zone)s (the clocks went forward)") % times,
            )
            return None
        hour, offset = place
        if offset + length > 60:
            self.error(line, "period", _("%(start)s–%(end)s does not lie within one UTC hour in %(zone)s") % times)
            return None
        slot = self.hours.setdefault(hour, _Hour())
        span = (offset, offset + length)
        if any(span[0] < other_end and other_start < span[1] for other_start, other_end in slot.spans):
            self.error(line, "period", _("%(start)s–%(end)s overlaps another period of the channel") % times)
            slot.broken = True
            return None
        slot.spans.append(span)
        return _Period(hour, *span, line=line)

    def _instant(self, minutes: int, fold: int) -> tuple[dt.datetime, int] | None:
        """The UTC hour holding a local time of the day and the minutes into it; None if the clocks skip it."""
        wall = dt.datetime.combine(self.day, dt.time(minutes // 60, minutes % 60, fold=fold))
        instant = wall.replace(tzinfo=self.zone).astimezone(dt.UTC)
        if instant.astimezone(self.zone).replace(tzinfo=None) != wall:
            return None
        return instant.replace(minute=0, second=0, microsecond=0), instant.minute

    def _value(self, text: str) -> None:
        period = self.period
        period.values += 1
        slot = self.hours[period.hour]
        if period.values > 1:
            self.error(self.line, "value", _("the period has more than one value"))
        elif not text:
            self.error(self.line, "value", _("a value is required"))
        elif not KWH_TEXT.fullmatch(text) and not NEGATIVE_ZERO.fullmatch(text):
            self.error(self.line, "value", kwh_problem(text))
        else:
            slot.kwh += Decimal(text)
            return
        slot.broken = True

    def _channel_end(self) -> None:
        for hour, slot in sorted(self.hours.items()):
            if slot.broken:
                continue
            gaps = _gaps(slot.spans)
            if gaps:
                # The sender's wall clock, as its periods are written (an hour lived twice keeps its own times).
                local = hour.astimezone(self.zone)
                wall = local.hour * 60 + local.minute
                self.error(
                    self.channel_line,
                    "period",
                    _(
                        "%(meter)s, hour %(start)s–%(end)s of %(day)s in %(zone)s (%(utc)s UTC): no period "
                        "%(missing)s, so the hour has no reading"
                    )
                    % {
                        "meter": self.meter,
                        "start": _clock(wall),
                        "end": _clock(wall + 60),
                        "day": local.date().isoformat(),
                        "zone": self.zone.key,
                        "utc": f"{hour:%Y-%m-%d %H:%M}",
                        "missing": ", ".join(f"{_clock(wall + a)}–{_clock(wall + b)}" for a, b in gaps),
                    },
                )
                continue
            self.ready.append(
                (self.name, self.meter_line, self.meter, hour.isoformat().replace("+00:00", "Z"), f"{slot.kwh:f}")
            )
        self.hours = {}


def _has_instants(day: dt.date, zone: zoneinfo.ZoneInfo) -> bool:
    """Whether every local time of the day is a UTC instant Python can hold (not so for 1 January of year 1)."""
    try:
        for edge in (day, day + dt.timedelta(days=1)):
            dt.datetime.combine(edge, dt.time(), tzinfo=zone).astimezone(dt.UTC)
    except OverflowError:  # also the day after 31 December 9999
        return False
    return True


def _clock(minutes: int) -> str:
    """HH:MM of minutes since midnight (24:00 is the end of the day)."""
    return f"{minutes // 60:02}:{minutes % 60:02}" if minutes <= 24 * 60 else _clock(minutes - 24 * 60)


def _minutes(hhmm: str) -> int | None:
    """Minutes since midnight of an HHMM time (2400 is the end of the day)."""
    match = HHMM.fullmatch(hhmm)
    if match is None:
        return None
    minutes = int(match[1]) * 60 + int(match[2])
    return minutes if minutes <= 24 * 60 else None


def _gaps(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The minutes of the hour no span covers, as (start, end) pairs; the spans do not overlap."""
    gaps, covered = [], 0
    for start, end in sorted(spans):
        if start > covered:
            gaps.append((covered, start))
        covered = end
    if covered < 60:
        gaps.append((covered, 60))
    return gaps
