"""The rules of docs/rules.md, "Detection", as pure functions: metrics and thresholds in, a finding or None out.

Arithmetic is exact (fractions of the database's decimals), so a value on a
threshold compares exactly as docs/rules.md, "Detection", writes it: `≥` inclusive, `>` and
`<` strict.
"""

import datetime as dt
from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class ConnectionLoad:
    connection_id: int
    meter_id: str
    tariff: str
    load: Load


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


def unlicensed_mining(subject: ConnectionLoad, t: Thresholds) -> Finding | None:
    """A connection no registered facility lists, drawing the flat, heavy load of a mining farm."""
    load = subject.load
    if load.hours == 0:
        return None
    if not (
        load.coverage_at_least(_ratio(t.unlicensed_min_coverage))
        and load.avg_mw_at_least(_ratio(t.unlicensed_min_avg_mw))
        and load.load_factor_at_least(_ratio(t.unlicensed_min_load_factor))
    ):
        return None
    high = subject.tariff in HIGH_RISK_TARIFFS or load.avg_mw_at_least(_ratio(t.unlicensed_high_avg_mw))
    return Finding(
        rule="UNLICENSED_MINING",
        severity="high" if high else "medium",
        subject_type="connection",
        subject_ref=subject.meter_id,
        evidence={**load.evidence(), "tariff": subject.tariff},
        links={"connection_id": subject.connection_id},
        avg_mw=load.avg_mw,
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
