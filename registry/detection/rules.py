"""The rules of docs/rules.md, "Detection", as pure functions: metrics and thresholds in, a finding or None out.

Arithmetic is exact (fractions of the database's decimals), so a value on a
threshold compares exactly as docs/rules.md, "Detection", writes it: `≥` inclusive, `>` and
`<` strict.
"""

import datetime as dt
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction
from functools import cache, cached_property
from typing import Any

HIGH_RISK_TARIFFS = ("residential", "agricultural")


@dataclass(frozen=True)
class Thresholds:
    window_days: int = 30
    unlicensed_min_coverage: Decimal = Decimal("0.80")
    unlicensed_min_avg_mw: Decimal = Decimal("0.10")
    unlicensed_min_load_factor: Decimal = Decimal("0.85")
    unlicensed_high_avg_mw: Decimal = Decimal("1.00")
    no_licence_min_coverage: Decimal = Decimal("0.20")
    no_licence_min_avg_mw: Decimal = Decimal("0.05")
    over_capacity_ratio: Decimal = Decimal("1.10")
    over_capacity_high_ratio: Decimal = Decimal("1.50")
    under_declared_ratio: Decimal = Decimal("0.90")
    related_party_years: int = 3
    signature_min_days: int = 5
    signature_max_floor_change: Decimal = Decimal("0.020")
    signature_min_floor_share: Decimal = Decimal("0.600")
    household_min_floor_mw: Decimal = Decimal("0.005")
    household_max_floor_change: Decimal = Decimal("0.050")
    household_min_floor_share: Decimal = Decimal("0.850")
    split_member_min_avg_mw: Decimal = Decimal("0.010")
    curtailment_max_hours: int = 6
    patchy_min_hours: int = 168
    base_min_floor_mw: Decimal = Decimal("0.100")
    step_recent_days: int = 3
    step_gap_days: int = 14
    step_baseline_days: int = 60
    step_min_ratio: Decimal = Decimal("3.000")
    step_min_added_mw: Decimal = Decimal("0.050")
    balance_loss_share: Decimal = Decimal("0.080")
    balance_min_mw: Decimal = Decimal("0.050")
    balance_min_hours: int = 168
    dismissal_silence_days: int = 180
    dismissal_regrowth_ratio: Decimal = Decimal("0.50")


@dataclass(frozen=True)
class Load:
    """Hourly energy of one subject over the window (several connections summed per hour)."""

    hours: int  # n: hours with at least one reading
    window_hours: int
    kwh_total: Decimal
    kwh_peak: Decimal

    @cached_property
    def coverage(self) -> Fraction:
        return Fraction(self.hours, self.window_hours)

    @cached_property
    def avg_mw(self) -> Fraction:
        return Fraction(self.kwh_total) / 1000 / self.hours if self.hours else Fraction(0)

    @cached_property
    def peak_mw(self) -> Fraction:
        return Fraction(self.kwh_peak) / 1000

    @cached_property
    def load_factor(self) -> Fraction:
        return self.avg_mw / self.peak_mw if self.peak_mw else Fraction(0)

    # Exact threshold tests in whole watt-hours: the same answers as the Fractions above, without
    # building a Fraction for each of tens of thousands of ordinary connections.

    @cached_property
    def _wh_total(self) -> int:
        return int(self.kwh_total * 1000)

    @cached_property
    def _wh_peak(self) -> int:
        return int(self.kwh_peak * 1000)

    def coverage_at_least(self, threshold: Fraction) -> bool:
        return self.hours * threshold.denominator >= threshold.numerator * self.window_hours

    def avg_mw_at_least(self, threshold: Fraction) -> bool:
        if not self.hours:
            return threshold <= 0
        return self._wh_total * threshold.denominator >= threshold.numerator * 1_000_000 * self.hours

    def load_factor_at_least(self, threshold: Fraction) -> bool:
        if not self.hours or not self._wh_peak:
            return threshold <= 0
        return self._wh_total * threshold.denominator >= threshold.numerator * self.hours * self._wh_peak

    def peak_mw_above(self, threshold: Fraction) -> bool:
        return self._wh_peak * threshold.denominator > threshold.numerator * 1_000_000

    def evidence(self) -> dict[str, Any]:
        return {
            "hours_with_readings": self.hours,
            "window_hours": self.window_hours,
            "coverage": _num(self.coverage),
            "avg_mw": _num(self.avg_mw),
            "peak_mw": _num(self.peak_mw),
            "load_factor": _num(self.load_factor),
            "energy_mwh": _num(Fraction(self.kwh_total) / 1000),
        }


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    subject_type: str
    subject_ref: str
    evidence: dict[str, Any]
    month: dt.date | None = None
    links: dict[str, int] = field(default_factory=dict)  # connection_id / facility_id / licence_id / firm_id
    avg_mw: Fraction | None = None  # for the dismissal regrowth test
    meters: tuple[tuple[int, str], ...] = ()  # (connection id, role): every meter whose readings made it


@dataclass(frozen=True)
class ConnectionLoad:
    connection_id: int
    meter_id: str
    tariff: str
    load: Load
    region: str = ""
    address: str = ""
    consumer_bin: str = ""
    is_parent: bool = False  # a transformer or feeder meter: judged by the energy balance, not by its own load
    recent_avg_kwh: float | None = None  # over the load step's recent days
    early_avg_kwh: float | None = None  # over the window's hours before those recent days


@dataclass(frozen=True)
class FacilityLoad:
    facility_id: int
    ref: str
    firm_id: int
    load: Load


@dataclass(frozen=True)
class LicenceLoad:
    licence_id: int
    number: str
    firm_id: int
    capacity_mw: Decimal
    load: Load


@dataclass(frozen=True)
class DeclaredMonth:
    facility_id: int
    ref: str
    firm_id: int
    month: dt.date
    declared_mwh: Decimal
    metered_mwh: Decimal


@dataclass(frozen=True)
class UndeclaredMonth:
    facility_id: int
    ref: str
    firm_id: int
    month: dt.date
    deadline: dt.datetime


@dataclass(frozen=True)
class OwnerLink:
    person_id: str
    full_name: str
    firm_bin: str
    firm_name: str
    action: str
    date: dt.date


@dataclass(frozen=True)
class RelatedFirm:
    firm_id: int
    bin: str
    links: tuple[OwnerLink, ...]


def _num(value: Fraction | Decimal) -> float:
    return round(float(value), 6)


@cache
def _ratio(value: Decimal) -> Fraction:
    return Fraction(value)


def unlicensed_mining(subject: ConnectionLoad, t: Thresholds, shape=None) -> Finding | None:
    """A connection no registered facility lists, drawing the flat, heavy load of a mining farm.

    With its `shape`, the load must also show the mining signature (over a window of at least the
    signature's days); a transformer's own load is judged by the energy balance instead.
    """
    load = subject.load
    if load.hours == 0 or subject.is_parent:
        return None
    if not (
        load.coverage_at_least(_ratio(t.unlicensed_min_coverage))
        and load.avg_mw_at_least(_ratio(t.unlicensed_min_avg_mw))
        and load.load_factor_at_least(_ratio(t.unlicensed_min_load_factor))
    ):
        return None
    if shape is not None and _signature_applies(subject, t) and not mining_signature(shape, t):
        return None
    high = subject.tariff in HIGH_RISK_TARIFFS or load.avg_mw_at_least(_ratio(t.unlicensed_high_avg_mw))
    return Finding(
        rule="UNLICENSED_MINING",
        severity="high" if high else "medium",
        subject_type="connection",
        subject_ref=subject.meter_id,
        evidence={**load.evidence(), "tariff": subject.tariff, **(shape_evidence(shape) if shape else {})},
        links={"connection_id": subject.connection_id},
        avg_mw=load.avg_mw,
        meters=((subject.connection_id, "subject"),),
    )


def no_valid_licence(subject: FacilityLoad, t: Thresholds) -> Finding | None:
    """A registered facility drawing power with no licence in force."""
    load = subject.load
    if load.hours == 0:
        return None
    if not (
        load.coverage_at_least(_ratio(t.no_licence_min_coverage))
        and load.avg_mw_at_least(_ratio(t.no_licence_min_avg_mw))
    ):
        return None
    return Finding(
        rule="NO_VALID_LICENCE",
        severity="high",
        subject_type="facility",
        subject_ref=subject.ref,
        evidence=load.evidence(),
        links={"facility_id": subject.facility_id, "firm_id": subject.firm_id},
        avg_mw=load.avg_mw,
    )


def over_capacity(subject: LicenceLoad, t: Thresholds) -> Finding | None:
    """A licence in force whose facilities together peak above its licensed capacity."""
    load = subject.load
    if load.hours == 0:
        return None
    capacity = Fraction(subject.capacity_mw)
    if not load.peak_mw_above(capacity * _ratio(t.over_capacity_ratio)):
        return None
    high = load.peak_mw_above(capacity * _ratio(t.over_capacity_high_ratio))
    return Finding(
        rule="OVER_CAPACITY",
        severity="high" if high else "medium",
        subject_type="licence",
        subject_ref=subject.number,
        evidence={
            **load.evidence(),
            "capacity_mw": _num(capacity),
            "peak_to_capacity": _num(load.peak_mw / capacity) if capacity else None,
        },
        links={"licence_id": subject.licence_id, "firm_id": subject.firm_id},
        avg_mw=load.avg_mw,
    )


def under_declared(subject: DeclaredMonth, t: Thresholds) -> Finding | None:
    """A month declared below what the meters recorded."""
    if not Fraction(subject.declared_mwh) < _ratio(t.under_declared_ratio) * Fraction(subject.metered_mwh):
        return None
    return Finding(
        rule="UNDER_DECLARED",
        severity="medium",
        subject_type="facility",
        subject_ref=subject.ref,
        month=subject.month,
        evidence={
            "month": f"{subject.month:%Y-%m}",
            "declared_mwh": _num(subject.declared_mwh),
            "metered_mwh": _num(subject.metered_mwh),
            "declared_to_metered": _num(Fraction(subject.declared_mwh) / Fraction(subject.metered_mwh)),
        },
        links={"facility_id": subject.facility_id, "firm_id": subject.firm_id},
    )


def missing_declaration(subject: UndeclaredMonth, t: Thresholds) -> Finding:
    """A month past its filing deadline with no declaration (the candidates are chosen in SQL)."""
    return Finding(
        rule="MISSING_DECLARATION",
        severity="low",
        subject_type="facility",
        subject_ref=subject.ref,
        month=subject.month,
        evidence={"month": f"{subject.month:%Y-%m}", "deadline": subject.deadline.isoformat()},
        links={"facility_id": subject.facility_id, "firm_id": subject.firm_id},
    )


def related_party(subject: RelatedFirm, t: Thresholds) -> Finding | None:
    """A licensed or applying firm sharing a beneficial owner with a sanctioned operation."""
    if not subject.links:
        return None
    return Finding(
        rule="RELATED_PARTY",
        severity="low",
        subject_type="firm",
        subject_ref=subject.bin,
        evidence={
            "shared_owners": [
                {
                    "person_id": link.person_id,
                    "full_name": link.full_name,
                    "firm_bin": link.firm_bin,
                    "firm_name": link.firm_name,
                    "action": link.action,
                    "date": link.date.isoformat(),
                }
                for link in subject.links
            ]
        },
        links={"firm_id": subject.firm_id},
    )


def regrown(avg_mw: Fraction | None, dismissed_evidence: dict[str, Any], t: Thresholds) -> bool:
    """Tell whether a dismissed subject's load grew by more than the regrowth ratio since its dismissal."""
    dismissed_avg = dismissed_evidence.get("avg_mw")
    if avg_mw is None or dismissed_avg is None:
        return False
    return avg_mw > Fraction(str(dismissed_avg)) * (1 + _ratio(t.dismissal_regrowth_ratio))


# How farms hide (docs/rules.md, "Detection: how farms hide"). The shape figures are floats: medians and
# percentiles of hourly energy, compared with the thresholds as written (`≥`, `≤` inclusive).


def mining_signature(
    shape,
    t: Thresholds,
    *,
    min_days: int | None = None,
    max_floor_change: Decimal | None = None,
    min_floor_share: Decimal | None = None,
) -> bool:
    """Tell whether a load has the mining signature: a steady floor that carries most of its running load.

    The daily floor (each day's lowest steady hour) moves little from one day to the next (its 75th
    percentile change at most the threshold share of the floor), and it is at least the floor-share
    threshold of the average running hour. Continuous plants follow the weather, set points and their
    process, so their floors wander from day to day; an ASIC farm's holds within 1-2 %, and an expansion,
    an outage or a curtailment moves it on one day, not on most.
    """
    change, share = shape.floor_change, shape.floor_share
    return (
        shape.days >= (t.signature_min_days if min_days is None else min_days)
        and change is not None
        and share is not None
        and change <= float(t.signature_max_floor_change if max_floor_change is None else max_floor_change)
        and share >= float(t.signature_min_floor_share if min_floor_share is None else min_floor_share)
    )


def runs_around_the_clock(shape, t: Thresholds) -> bool:
    """Tell whether a load runs at least 24 hours a day less the longest curtailment (18 of 24 by default)."""
    return shape.running_hours * 24 >= shape.hours * (24 - t.curtailment_max_hours)


def shape_evidence(shape) -> dict[str, Any]:
    return {
        "level_mw": round(shape.kwh_level / 1000, 6),
        "floor_mw": None if shape.floor_kwh is None else round(shape.floor_kwh / 1000, 6),
        "floor_change": None if shape.floor_change is None else round(shape.floor_change, 4),
        "floor_share": None if shape.floor_share is None else round(shape.floor_share, 4),
        "signature_days": shape.days,
        "running_hours": shape.running_hours,
    }


def _severity(tariff: str, mw: float, t: Thresholds) -> str:
    return "high" if tariff in HIGH_RISK_TARIFFS or mw >= float(t.unlicensed_high_avg_mw) else "medium"


def _connection_finding(rule: str, subject: ConnectionLoad, shape, t: Thresholds, mw: float, **extra) -> Finding:
    return Finding(
        rule=rule,
        severity=_severity(subject.tariff, mw, t),
        subject_type="connection",
        subject_ref=subject.meter_id,
        evidence={**subject.load.evidence(), **shape_evidence(shape), "tariff": subject.tariff, **extra},
        links={"connection_id": subject.connection_id},
        avg_mw=subject.load.avg_mw,
        meters=((subject.connection_id, "subject"),),
    )


def _signature_applies(subject: ConnectionLoad, t: Thresholds) -> bool:
    """The signature is judged only over a window of at least its minimum days (shorter windows: not required)."""
    return subject.load.window_hours >= 24 * t.signature_min_days


def household_mining(subject: ConnectionLoad, shape, t: Thresholds) -> Finding | None:
    """A household meter whose steady floor alone is far above any home's, with the mining signature.

    The floor is what sets a farm apart from every home here, so its day-to-day change may be larger than
    a plain farm's: the home's own base (fridge, heating, a few hundred watts) wanders on top of a small
    farm of a few machines. An electrically heated home's floor follows the weather by far more. And the
    machines are nearly all of the load (a home's own use is a few hundred watts next to kilowatts), so the
    floor must carry a larger share of it than a block's common meter, whose lights and lifts cycle.
    """
    if subject.is_parent or subject.tariff != "residential" or shape is None or shape.floor_kwh is None:
        return None
    if not (
        shape.hours >= t.patchy_min_hours
        and shape.floor_kwh >= float(t.household_min_floor_mw) * 1000
        and mining_signature(
            shape, t, max_floor_change=t.household_max_floor_change, min_floor_share=t.household_min_floor_share
        )
    ):
        return None
    finding = _connection_finding("HOUSEHOLD_MINING", subject, shape, t, shape.floor_kwh / 1000)
    return replace(finding, severity="high")


def curtailed_load(subject: ConnectionLoad, shape, t: Thresholds) -> Finding | None:
    """A flat, heavy load that stops in the same hours every day (an ordered or price-driven curtailment)."""
    if subject.is_parent or shape is None or not shape.running_hours:
        return None
    running_mw = shape.running_avg_kwh / 1000
    if not (
        subject.load.coverage_at_least(_ratio(t.unlicensed_min_coverage))
        and running_mw >= float(t.unlicensed_min_avg_mw)
        and shape.running_avg_kwh >= float(t.unlicensed_min_load_factor) * float(shape.kwh_peak)
        and 1 <= len(shape.curtailment_hours) <= t.curtailment_max_hours
        and mining_signature(shape, t)
    ):
        return None
    return _connection_finding(
        "CURTAILED_LOAD",
        subject,
        shape,
        t,
        running_mw,
        running_avg_mw=round(running_mw, 6),
        curtailment_hours=list(shape.curtailment_hours),
    )


def patchy_load(subject: ConnectionLoad, shape, t: Thresholds) -> Finding | None:
    """A flat, heavy load on a meter that misses hours: judged on the hours it reported."""
    load = subject.load
    if subject.is_parent or shape is None or load.coverage_at_least(_ratio(t.unlicensed_min_coverage)):
        return None
    if not (
        load.hours >= t.patchy_min_hours
        and load.avg_mw_at_least(_ratio(t.unlicensed_min_avg_mw))
        and load.load_factor_at_least(_ratio(t.unlicensed_min_load_factor))
        and mining_signature(shape, t)
    ):
        return None
    return _connection_finding("PATCHY_LOAD", subject, shape, t, float(load.avg_mw))


def base_load(subject: ConnectionLoad, shape, t: Thresholds) -> Finding | None:
    """A steady, heavy floor under a load with a daily cycle: a farm inside a working business."""
    if subject.is_parent or shape is None or shape.floor_kwh is None:
        return None
    if not (
        subject.load.coverage_at_least(_ratio(t.unlicensed_min_coverage))
        and shape.floor_kwh >= float(t.base_min_floor_mw) * 1000
        and mining_signature(shape, t)
    ):
        return None
    return _connection_finding("BASE_LOAD", subject, shape, t, shape.floor_kwh / 1000)


def load_step(step, t: Thresholds) -> Finding | None:
    """A connection whose last days carry a new steady load many times its own earlier baseline."""
    subject, recent = step.subject, step.recent
    if subject.is_parent or recent.floor_kwh is None or step.baseline_hours < t.patchy_min_hours:
        return None
    # A grid company's feed may arrive a day late: the recent days need readings in half their hours and
    # all but one of them judged.
    recent_hours = t.step_recent_days * 24
    if not (
        recent.hours * 2 >= recent_hours
        and runs_around_the_clock(recent, t)
        and recent.floor_kwh >= float(t.step_min_ratio) * step.baseline_kwh
        and recent.floor_kwh - step.baseline_kwh >= float(step_min_added_mw(subject, t)) * 1000
        and mining_signature(recent, t, min_days=max(1, t.step_recent_days - 1))
    ):
        return None
    return Finding(
        rule="LOAD_STEP",
        severity=_severity(subject.tariff, recent.floor_kwh / 1000, t),
        subject_type="connection",
        subject_ref=subject.meter_id,
        evidence={
            **shape_evidence(recent),
            "tariff": subject.tariff,
            "baseline_mw": round(step.baseline_kwh / 1000, 6),
            "recent_floor_mw": round(recent.floor_kwh / 1000, 6),
            "step_ratio": round(recent.floor_kwh / step.baseline_kwh, 2) if step.baseline_kwh else None,
            "baseline_start": step.baseline_start.isoformat(),
            "baseline_end": step.baseline_end.isoformat(),
            "recent_start": step.recent_start.isoformat(),
            "recent_avg_mw": round(float(recent.kwh_total) / recent.hours / 1000, 6) if recent.hours else 0,
            # What a dismissal's regrowth is judged on: the new load's floor.
            "avg_mw": round(recent.floor_kwh / 1000, 6),
        },
        links={"connection_id": subject.connection_id},
        avg_mw=Fraction(round(recent.floor_kwh / 1000, 6)),
        meters=((subject.connection_id, "subject"),),
    )


def step_min_added_mw(subject: ConnectionLoad, t: Thresholds) -> Decimal:
    """A home's step need only reach the household floor: far above any home, as HOUSEHOLD_MINING judges it."""
    return t.household_min_floor_mw if subject.tariff == "residential" else t.step_min_added_mw


def split_load(group, t: Thresholds) -> Finding | None:
    """Meters of one building or one consumer whose summed load is a farm's while no single one meets the limits."""
    stats = group.stats
    if not stats.running_hours or any(_meets_contract_load(member.load, t) for member in group.members):
        return None
    load = Load(stats.hours, stats.window_hours, stats.kwh_total, stats.kwh_peak)
    if not (
        load.coverage_at_least(_ratio(t.unlicensed_min_coverage))
        and stats.running_avg_kwh >= float(t.unlicensed_min_avg_mw) * 1000
        and stats.running_avg_kwh >= float(t.unlicensed_min_load_factor) * float(stats.kwh_peak)
        and mining_signature(stats, t)
    ):
        return None
    largest = group.members[0]
    tariffs = sorted({member.tariff for member in group.members})
    return Finding(
        rule="SPLIT_LOAD",
        severity=_severity(largest.tariff, float(load.avg_mw), t),
        subject_type="connection",
        subject_ref=group.key,
        evidence={
            **load.evidence(),
            **shape_evidence(stats),
            "group": group.key,
            "meters": len(group.members),
            "tariffs": tariffs,
            "member_avg_mw": {member.meter_id: _num(member.load.avg_mw) for member in group.members},
        },
        links={"connection_id": largest.connection_id},
        avg_mw=load.avg_mw,
        meters=tuple((member.connection_id, "member") for member in group.members),
    )


def _meets_contract_load(load: Load, t: Thresholds) -> bool:
    return (
        load.coverage_at_least(_ratio(t.unlicensed_min_coverage))
        and load.avg_mw_at_least(_ratio(t.unlicensed_min_avg_mw))
        and load.load_factor_at_least(_ratio(t.unlicensed_min_load_factor))
    )


def energy_balance(balance, t: Thresholds) -> Finding | None:
    """A transformer drawing a steady load that none of its children's meters records, beyond normal losses."""
    stats, parent = balance.stats, balance.parent
    if stats.hours < t.balance_min_hours:
        return None
    allowed_kwh = float(t.balance_loss_share) * stats.positive_avg_kwh
    unmetered_kwh = stats.kwh_level - allowed_kwh
    if not (unmetered_kwh >= float(t.balance_min_mw) * 1000 and mining_signature(stats, t)):
        return None
    residual_avg = float(stats.kwh_total) / stats.hours
    return Finding(
        rule="ENERGY_BALANCE",
        severity=_severity(parent.tariff, unmetered_kwh / 1000, t),
        subject_type="connection",
        subject_ref=parent.meter_id,
        evidence={
            **shape_evidence(stats),
            "balanced_hours": stats.hours,
            "children": len(balance.children),
            "parent_avg_mw": round(stats.positive_avg_kwh / 1000, 6),
            "children_avg_mw": round((stats.positive_avg_kwh - residual_avg) / 1000, 6),
            "loss_share": float(t.balance_loss_share),
            "unmetered_mw": round(unmetered_kwh / 1000, 6),
            "residual_avg_mw": round(residual_avg / 1000, 6),
            # What a dismissal's regrowth is judged on: the unmetered load.
            "avg_mw": round(unmetered_kwh / 1000, 6),
        },
        links={"connection_id": parent.connection_id},
        avg_mw=Fraction(round(unmetered_kwh / 1000, 6)),
        meters=((parent.connection_id, "subject"), *((child, "child") for child in balance.children)),
    )
