"""Build a realistic grid (about 2,200 connections under about 150 transformer meters) and write it in the
project's CSV formats, readings streamed one transformer at a time, plus a separate truth.csv.

    generate(out_dir, seed=1, days=60, end="2026-11-01T00:00:00Z") -> summary dict

Innocent kinds: household, apartment_common, commercial, shift_industry, continuous_plant, greenhouse,
data_centre, licensed_miner, transformer. Mining kinds (the sites a regulator must find): flat_farm,
home_miner, split_farm, evening_curtailment, patchy_modem, recent_start, farm_in_business, bypass_farm.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import os
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from random import Random

from . import profiles as p
from .names import Ids, Place, firm_name, operator, person

INNOCENT_KINDS = (
    "household",
    "apartment_common",
    "commercial",
    "shift_industry",
    "continuous_plant",
    "greenhouse",
    "data_centre",
    "licensed_miner",
    "transformer",
)
MINING_KINDS = (
    "flat_farm",
    "home_miner",
    "split_farm",
    "evening_curtailment",
    "patchy_modem",
    "recent_start",
    "farm_in_business",
    "bypass_farm",
)
KINDS = INNOCENT_KINDS + MINING_KINDS

# Sites per kind at scale 1 (transformers follow from the topology: about 150).
COUNTS = {
    "household": 1500,
    "apartment_common": 60,
    "commercial": 200,
    "shift_industry": 80,
    "continuous_plant": 25,
    "greenhouse": 20,
    "data_centre": 4,
    "licensed_miner": 30,
    "flat_farm": 15,
    "home_miner": 40,
    "split_farm": 10,
    "evening_curtailment": 10,
    "patchy_modem": 8,
    "recent_start": 8,
    "farm_in_business": 8,
    "bypass_farm": 6,
}

# Where the clusters are: homes and shops mostly in the big cities; industry and mining in the coal and
# hydro regions where the farms were found (Ekibastuz/Pavlodar, Karaganda, East Kazakhstan, Almaty region).
RESIDENTIAL_REGIONS = {"almaty": 30, "astana": 18, "shymkent": 10, "almaty_region": 10, "pavlodar": 8}
RESIDENTIAL_REGIONS |= {"karaganda": 8, "east_kazakhstan": 6, "abai": 4, "jambyl": 3, "turkistan": 3}
INDUSTRIAL_REGIONS = {"pavlodar": 22, "karaganda": 20, "east_kazakhstan": 16, "almaty_region": 14, "abai": 8}
INDUSTRIAL_REGIONS |= {"akmola": 6, "almaty": 6, "astana": 4, "jetisu": 4}
RURAL_REGIONS = {"almaty_region": 40, "turkistan": 25, "jetisu": 15, "jambyl": 10, "shymkent": 10}

FLAT_CONTRACTS = (None, None, None, 0.005, 0.007, 0.01)
HOUSE_CONTRACTS = (None, None, 0.007, 0.01, 0.015, 0.03)
TP_RATINGS_KVA = (63, 100, 160, 250, 400, 630, 1000, 1600, 2500, 4000, 6300, 10000, 16000, 25000)

LoadFn = Callable[[p.Timeline, p.Weather, Random], dict[str, list[float]]]


@dataclass
class Meter:
    meter_id: str
    operator: str
    consumer_name: str
    consumer_bin: str
    region: str
    address: str
    tariff: str
    contracted_mw: float | None = None
    parent: str = ""
    gaps: str = "normal"  # normal | patchy | transformer


@dataclass
class Site:
    site_id: str
    kind: str
    is_mining: bool
    note: str
    meters: list[Meter]
    load: LoadFn
    facility: dict | None = None


@dataclass(eq=False)
class Cluster:
    """One distribution transformer (or feeder head) meter and everything under it."""

    kind: str  # apartments | houses | commercial | industrial | rural
    region: str
    place: Place
    meter: Meter | None = None
    sites: list[Site] = field(default_factory=list)
    bypass: Site | None = None
    bypass_kw: float = 0.0
    lighting_kw: float = 0.0
    site_id: str = ""


def _pick(rng: Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _single(meter_id: str, fn: Callable[[p.Timeline, p.Weather, Random], list[float]]) -> LoadFn:
    return lambda tl, wx, rng: {meter_id: fn(tl, wx, rng)}


def _plus(*parts: Callable[[p.Timeline, p.Weather, Random], list[float]]):
    def combined(tl, wx, rng):
        series = [part(tl, wx, rng) for part in parts]
        return [sum(values) for values in zip(*series, strict=True)]

    return combined


class World:
    """The grid's sites, meters and topology, sampled once from the seed."""

    def __init__(self, seed: int, scale: float, end: dt.datetime, days: int):
        self.seed = seed
        self.end = end
        self.days = days
        self.rng = Random(f"{seed}/world")
        self.ids = Ids(Random(f"{seed}/ids"))
        self.counts = {kind: max(1, round(n * scale)) for kind, n in COUNTS.items()}
        self.sites: list[Site] = []
        self.clusters: list[Cluster] = []
        self.firms: list[dict] = []
        self.facilities: list[dict] = []
        self.licences: list[dict] = []
        self.operator_bins: dict[str, str] = {}
        self.styles: dict[str, int] = {}
        self._build()

    # --- helpers ------------------------------------------------------------------------------------------

    def _site(self, kind: str, note: str, meters: list[Meter], load: LoadFn, cluster: Cluster) -> Site:
        site = Site(f"S{len(self.sites) + 1:05d}", kind, kind in MINING_KINDS, note, meters, load)
        self.sites.append(site)
        cluster.sites.append(site)
        return site

    def _address(self, place: Place, unit: int | None = None, office: bool = False) -> str:
        style = self.styles.setdefault(place.region, self.rng.randrange(4))
        return place.render(self.rng, unit=unit, office=office, style=style)

    def _meter(self, cluster: Cluster, name: str, bin_: str, tariff: str, address: str, contracted=None) -> Meter:
        region = cluster.region
        return Meter(self.ids.meter(region), operator(region), name, bin_, region, address, tariff, contracted)

    def _person_consumer(self, with_id: float = 0.4) -> tuple[str, str]:
        name, female = person(self.rng)
        return name, (self.ids.iin(female) if self.rng.random() < with_id else "")

    def _firm_consumer(self, business: str) -> tuple[str, str]:
        name = firm_name(self.rng, business)
        return name, (self.ids.iin() if name.startswith("IP ") else self.ids.bin())

    def _cluster(self, kind: str, regions: dict[str, float], **place_kw) -> Cluster:
        region = _pick(self.rng, regions)
        cluster = Cluster(kind, region, Place(self.rng, region, **place_kw))
        self.clusters.append(cluster)
        return cluster

    # --- innocent sites -----------------------------------------------------------------------------------

    def household(self, cluster: Cluster, place: Place, unit: int | None, *, kind="household", note_extra=""):
        rng = self.rng
        house = unit is None
        large = rng.random() < 0.03
        avg = rng.uniform(2.0, 4.0) if large else p.clip(math.exp(rng.gauss(math.log(0.62), 0.4)), 0.3, 1.5)
        if large:
            heating = rng.uniform(2.0, 4.0) if rng.random() < 0.6 else 0.0
        elif rng.random() < (0.25 if house else 0.08):
            heating = rng.uniform(1.5, 5.0) if house else rng.uniform(0.8, 2.0)
        else:
            heating = 0.0
        retired = rng.random() < 0.2
        vacation = rng.randint(5, 14) if rng.random() < 0.08 else 0
        name, bin_ = self._person_consumer()
        contracted = rng.choice(HOUSE_CONTRACTS if house else FLAT_CONTRACTS)
        meter = self._meter(cluster, name, bin_, "residential", self._address(place, unit), contracted)

        def fn(tl, wx, r):
            return p.household(tl, wx, r, avg, heating_kw=heating, retired=retired, vacation_days=vacation)

        note = f"{'house' if house else 'flat'}, avg {avg:.2f} kW" + (
            f", electric heating {heating:.1f} kW" if heating else ""
        )
        note += ", large home" if large else ""
        note += f", away {vacation} days" if vacation else ""
        if kind == "household":
            return self._site("household", note + note_extra, [meter], _single(meter.meter_id, fn), cluster)
        return meter, fn, note

    def apartment_common(self, cluster: Cluster, place: Place, flats: int):
        rng = self.rng
        lighting = rng.uniform(1.0, 5.0)
        lift = rng.uniform(0.5, 4.0) if rng.random() < 0.6 else 0.0
        pump = rng.uniform(0.5, 6.0) if rng.random() < 0.7 else 0.0
        name = (
            f"OSI {place.street} {place.number}"
            if rng.random() < 0.7
            else f"KSK {rng.choice(('Nur', 'Bereke', 'Umit'))}"
        )
        meter = self._meter(cluster, name, self.ids.bin(), "residential", self._address(place))

        def fn(tl, wx, r):
            return p.apartment_common(tl, wx, r, lighting_kw=lighting, lift_kw=lift, pump_kw=pump)

        note = f"{flats} flats; lighting {lighting:.1f} kW, lift {lift:.1f} kW, pump {pump:.1f} kW"
        return self._site("apartment_common", note, [meter], _single(meter.meter_id, fn), cluster)

    def business(self, cluster: Cluster, place: Place, unit: int | None, *, small: bool = False, peak_kw=None):
        """A shop, office or café: returns (meter, load function, note)."""
        rng = self.rng
        kind = rng.choices(("shop", "office", "cafe"), weights=(6, 3, 1))[0]
        if kind == "shop":
            peak = p.log_uniform(rng, 5, 25 if small else 120)
            base, open_h, close_h = rng.uniform(0.25, 0.55), rng.choice((8, 9, 10)), rng.choice((20, 21, 22))
            saturday, sunday = True, rng.random() < 0.15
        elif kind == "office":
            peak = p.log_uniform(rng, 8, 25 if small else 250)
            base, open_h, close_h = rng.uniform(0.1, 0.3), rng.choice((8, 9)), rng.choice((18, 19))
            saturday, sunday = rng.random() < 0.2, False
        else:
            peak = p.log_uniform(rng, 10, 25 if small else 80)
            base, open_h, close_h = rng.uniform(0.2, 0.4), rng.choice((10, 11)), 23
            saturday, sunday = True, True
        peak = peak_kw or peak
        name, bin_ = self._firm_consumer({"shop": "Market", "office": "Group", "cafe": "Food"}[kind])
        contracted = round(peak * rng.uniform(1.2, 1.6) / 1000, 3)
        meter = self._meter(cluster, name, bin_, "commercial", self._address(place, unit, office=True), contracted)

        def fn(tl, wx, r):
            return p.commercial(
                tl, wx, r, peak, base_frac=base, open_hour=open_h, close_hour=close_h, saturday=saturday, sunday=sunday
            )

        note = f"{kind} {peak:.0f} kW peak, open {open_h}-{close_h}" + (", Sundays too" if sunday else "")
        return meter, fn, note

    def workshop(self, cluster: Cluster, place: Place, *, small: bool = False, peak_kw=None):
        """Shift industry: returns (meter, load function, note)."""
        rng = self.rng
        peak = peak_kw or (p.log_uniform(rng, 15, 60) if small else p.log_uniform(rng, 40, 3000))
        shifts = rng.choices((1, 2, 3), weights=(40, 35, 25))[0]
        saturday = rng.random() < {1: 0.3, 2: 0.5, 3: 0.7}[shifts]
        sunday = shifts == 3 and rng.random() < 0.35
        base = rng.uniform(0.08, 0.25)
        name, bin_ = self._firm_consumer(rng.choice(("Metall", "Stroy", "Plast", "Mebel", "Agro", "Service")))
        contracted = round(peak * rng.uniform(1.2, 1.6) / 1000, 3)
        meter = self._meter(cluster, name, bin_, "industrial", self._address(place), contracted)

        def fn(tl, wx, r):
            return p.shift_industry(tl, wx, r, peak, shifts=shifts, saturday=saturday, sunday=sunday, base_frac=base)

        days = "7 days" if sunday else ("Mon-Sat" if saturday else "Mon-Fri")
        return meter, fn, f"{shifts} shift(s) {days}, {peak:.0f} kW peak"

    def continuous(self, cluster: Cluster, subtype: str):
        rng = self.rng
        low, high = {
            "water_pumping": (150, 2500),
            "cold_store": (100, 1500),
            "kiln": (300, 3000),
            "oxygen_plant": (500, 4000),
            "heat_network_pump": (200, 2000),
        }[subtype]
        kw = p.log_uniform(rng, low, high)
        business = {"water_pumping": "state", "heat_network_pump": "Teploseti"}.get(subtype, "")
        business = business or {"cold_store": "Cold Logistics", "kiln": "Kirpich", "oxygen_plant": "Kislorod"}[subtype]
        name = firm_name(rng, business) if business != "state" else f"GKP {cluster.place.town} Su"
        meter = self._meter(
            cluster,
            name,
            self.ids.bin(),
            "industrial",
            self._address(cluster.place.sibling(rng)),
            round(kw * 1.3e-3, 3),
        )

        def fn(tl, wx, r):
            return p.continuous_plant(tl, wx, r, kw, subtype=subtype)

        return self._site("continuous_plant", f"{subtype}, {kw:.0f} kW", [meter], _single(meter.meter_id, fn), cluster)

    def greenhouse(self, cluster: Cluster):
        rng = self.rng
        lit = rng.random() < 0.7
        lamps = p.log_uniform(rng, 150, 2000) if lit else 0.0
        base = lamps * rng.uniform(0.08, 0.2) if lit else p.log_uniform(rng, 20, 150)
        start, hours = rng.randint(0, 4), rng.randint(16, 18)
        below, groups = rng.uniform(11.0, 12.8), rng.randint(3, 6)
        name, bin_ = self._firm_consumer(rng.choice(("Teplitsa", "Agro", "Greenhouse")))
        meter = self._meter(
            cluster,
            name,
            bin_,
            "agricultural",
            self._address(cluster.place.sibling(rng)),
            round((lamps + base) * 1.3e-3, 3),
        )

        def fn(tl, wx, r):
            return p.greenhouse(
                tl,
                wx,
                r,
                lamps_kw=lamps,
                base_kw=base,
                photoperiod_start=start,
                photoperiod_hours=hours,
                lit_below_daylength=below,
                groups=groups,
            )

        note = f"lamps {lamps:.0f} kW ({hours} h from {start}:00 local, {groups} groups)" if lit else "unlit"
        return self._site("greenhouse", note + f", base {base:.0f} kW", [meter], _single(meter.meter_id, fn), cluster)

    def data_centre(self, cluster: Cluster):
        rng = self.rng
        it = p.log_uniform(rng, 250, 2300)
        pue = rng.uniform(1.25, 1.55)
        name = firm_name(rng, rng.choice(("Cloud", "Data Center", "Telecom")))
        meter = self._meter(
            cluster,
            name,
            self.ids.bin(),
            "commercial",
            self._address(cluster.place.sibling(rng)),
            round(it * pue * 1.4e-3, 3),
        )

        def fn(tl, wx, r):
            return p.data_centre(tl, wx, r, it, pue=pue)

        note = f"IT {it:.0f} kW, PUE {pue:.2f} (not mining)"
        return self._site("data_centre", note, [meter], _single(meter.meter_id, fn), cluster)

    def licensed(self, cluster: Cluster, firm: dict):
        rng = self.rng
        kw = p.log_uniform(rng, 400, 12000)
        n = rng.choices((1, 2, 3), weights=(5, 3, 2))[0]
        shares = [rng.uniform(0.7, 1.3) for __ in range(n)]
        shares = [s / sum(shares) for s in shares]
        place = cluster.place.sibling(rng)
        address = self._address(place)
        meters = [
            self._meter(cluster, firm["name"], firm["bin"], "industrial", address, round(kw * s * 1.25e-3, 3))
            for s in shares
        ]
        curtailed = rng.random() < 0.3
        start = rng.choice((18, 19))
        length = rng.choice((3, 4, 5))
        site_key = f"{self.seed}/licensed/{len(self.sites)}"
        rate = rng.uniform(0.3, 2.0)

        def load(tl, wx, r):
            out = {}
            cut = p.curtailment(
                tl, Random(site_key + "/cut"), ordered=True, start_hour=start, length=length, floor=0.03
            )
            for meter, share in zip(meters, shares, strict=True):
                series = p.asic_farm(tl, wx, r, kw * share, outages=Random(site_key + "/out"), outage_rate=rate)
                out[meter.meter_id] = [v * c for v, c in zip(series, cut, strict=True)] if curtailed else series
            return out

        capacity = round(kw * rng.uniform(1.05, 1.25) / 1000, 3)
        note = f"licensed, {kw / 1000:.2f} MW on {n} meter(s)" + (
            f", ordered curtailment {start}:00+{length}h" if curtailed else ""
        )
        site = self._site("licensed_miner", note, meters, load, cluster)
        prefix = meters[0].meter_id.split("-")[0]
        site.facility = {
            "ref": f"FAC-{prefix}-{len(self.facilities) + 1:03d}",
            "firm_bin": firm["bin"],
            "name": f"{firm['name'].split(' ', 1)[1]} site {len(firm['facilities']) + 1}",
            "region": cluster.region,
            "address": address,
            "latitude": f"{p.REGION_CLIMATE[cluster.region][1] + rng.uniform(-0.3, 0.3):.6f}",
            "longitude": f"{p.REGION_CLIMATE[cluster.region][2] + rng.uniform(-0.3, 0.3):.6f}",
            "meter_ids": ";".join(m.meter_id for m in meters),
            "capacity_mw": f"{capacity:.3f}",
            "devices": str(round(capacity * 1000 / 3.25)),
        }
        self.facilities.append(site.facility)
        firm["facilities"].append(site.facility)
        return site

    # --- mining sites -------------------------------------------------------------------------------------

    def _farm_consumer(self, cluster: Cluster, kw: float):
        rng = self.rng
        tariff = rng.choices(("industrial", "commercial", "agricultural"), weights=(6, 3, 2))[0]
        business = {"industrial": "Energy Service", "commercial": "Tech", "agricultural": "Agro"}[tariff]
        name, bin_ = self._firm_consumer(business)
        bin_ = bin_ if rng.random() < 0.85 else ""
        address = self._address(cluster.place.sibling(rng))
        return self._meter(cluster, name, bin_, tariff, address, round(kw * rng.uniform(1.1, 1.5) / 1000, 3))

    def flat_farm(self, cluster: Cluster):
        kw = p.log_uniform(self.rng, 200, 5000)
        meter = self._farm_consumer(cluster, kw)
        load = _single(meter.meter_id, lambda tl, wx, r: p.asic_farm(tl, wx, r, kw))
        return self._site("flat_farm", f"ASIC {kw:.0f} kW on its own meter", [meter], load, cluster)

    def evening_curtailment(self, cluster: Cluster):
        rng = self.rng
        kw = p.log_uniform(rng, 150, 2500)
        ordered = rng.random() < 0.5
        start = rng.choice((18, 19)) if ordered else rng.choice((17, 18, 19))
        length = rng.choice((4, 5)) if ordered else rng.uniform(4.0, 5.0)
        floor = rng.uniform(0.0, 0.06)
        meter = self._farm_consumer(cluster, kw)

        def fn(tl, wx, r):
            farm = p.asic_farm(tl, wx, r, kw)
            cut = p.curtailment(tl, r, ordered=ordered, start_hour=start, length=length, floor=floor)
            return [v * c for v, c in zip(farm, cut, strict=True)]

        how = "ordered" if ordered else "price-driven"
        note = f"ASIC {kw:.0f} kW, {how} curtailment from {start}:00 local for ~{length:.1f} h, floor {floor:.0%}"
        return self._site("evening_curtailment", note, [meter], _single(meter.meter_id, fn), cluster)

    def patchy_modem(self, cluster: Cluster):
        kw = p.log_uniform(self.rng, 150, 3000)
        meter = self._farm_consumer(cluster, kw)
        meter.gaps = "patchy"
        load = _single(meter.meter_id, lambda tl, wx, r: p.asic_farm(tl, wx, r, kw))
        return self._site("patchy_modem", f"ASIC {kw:.0f} kW, modem drops 30-50% of hours", [meter], load, cluster)

    def home_miner(self, cluster: Cluster, place: Place, unit: int | None):
        rng = self.rng
        kw = p.log_uniform(rng, 6, 15 if unit is not None else 60)
        meter, home, note = self.household(cluster, place, unit, kind="home_miner")
        load = _single(meter.meter_id, _plus(home, lambda tl, wx, r: p.asic_farm(tl, wx, r, kw)))
        return self._site("home_miner", f"ASIC {kw:.1f} kW in a {note}", [meter], load, cluster)

    def recent_start(self, cluster: Cluster, base: str):
        rng = self.rng
        kw = p.log_uniform(rng, 30, 600)
        if base == "home":
            meter, before, what = self.household(cluster, cluster.place.sibling(rng), None, kind="recent_start")
        elif base == "shop":
            meter, before, what = self.business(cluster, cluster.place.sibling(rng), None, small=True)
        else:
            meter, before, what = self.workshop(cluster, cluster.place.sibling(rng), small=True)
        days_before = rng.uniform(4.0, 12.0)
        steps = rng.randint(1, 3)
        step_gap = rng.uniform(2.0, 18.0)

        def farm(tl, wx, r):
            series = p.asic_farm(tl, wx, r, kw)
            first = tl.hours - days_before * 24 if tl.hours >= 20 * 24 else tl.hours * r.uniform(0.4, 0.7)
            out = []
            for h, v in enumerate(series):
                on = sum(1 for k in range(steps) if h >= first + k * step_gap) / steps
                out.append(v * on)
            return out

        when = (self.end - dt.timedelta(days=days_before)).strftime("%Y-%m-%dT%H:00Z")
        note = f"ASIC {kw:.0f} kW from about {when} (in {steps} step(s)) on a {what}"
        return self._site("recent_start", note, [meter], _single(meter.meter_id, _plus(before, farm)), cluster)

    def farm_in_business(self, cluster: Cluster):
        rng = self.rng
        kw = p.log_uniform(rng, 100, 600)
        peak = p.log_uniform(rng, 10, 200)  # a working business of its own size, whatever the farm's
        if cluster.kind == "commercial":
            meter, business, what = self.business(cluster, cluster.place.sibling(rng), None, peak_kw=peak)
        else:
            meter, business, what = self.workshop(cluster, cluster.place.sibling(rng), peak_kw=peak)
        load = _single(meter.meter_id, _plus(business, lambda tl, wx, r: p.asic_farm(tl, wx, r, kw)))
        return self._site("farm_in_business", f"ASIC {kw:.0f} kW inside a {what}", [meter], load, cluster)

    def split_farm(self, cluster: Cluster, place: Place, in_flats: bool, first_unit: int):
        rng = self.rng
        n = rng.randint(4, 14)
        per = [rng.uniform(25, 95) for __ in range(n)]
        one_nominee = rng.random() < 0.5
        surname = rng.choice(("Akhmetov", "Kim", "Omarov", "Sadykov", "Li", "Ismailov"))
        nominee = person(rng, surname)[0], self.ids.iin()
        meters = []
        for k in range(n):
            if one_nominee:
                name, bin_ = nominee
            elif rng.random() < 0.5:
                name, female = person(rng, surname)
                bin_ = self.ids.iin(female) if rng.random() < 0.7 else ""
            else:
                name, bin_ = self._firm_consumer("Service") if not in_flats else self._person_consumer(0.6)
            unit = first_unit + k if rng.random() < 0.9 else None
            address = self._address(place, unit, office=not in_flats)
            tariff = "residential" if in_flats else rng.choice(("commercial", "commercial", "industrial"))
            contracted = rng.choice(FLAT_CONTRACTS if in_flats else (None, 0.015, 0.03, 0.05))
            meters.append(self._meter(cluster, name, bin_, tariff, address, contracted))
        site_key = f"{self.seed}/split/{len(self.sites)}"
        rate = rng.uniform(0.3, 2.0)

        def load(tl, wx, r):
            out = {}
            for meter, kw in zip(meters, per, strict=True):
                farm = p.asic_farm(tl, wx, r, kw, outages=Random(site_key), outage_rate=rate)
                light = r.uniform(0.1, 1.0)
                out[meter.meter_id] = [v + light * (1 + r.gauss(0, 0.1)) for v in farm]
            return out

        who = "one nominee" if one_nominee else "several names"
        note = f"{n} meters, {sum(per):.0f} kW in all ({min(per):.0f}-{max(per):.0f} kW each), {who}"
        note += ", flats" if in_flats else ", offices"
        return self._site("split_farm", note, meters, load, cluster)

    # --- topology -----------------------------------------------------------------------------------------

    def _build(self):
        rng = self.rng
        c = self.counts
        n_flats = round(c["household"] * 0.7)
        n_houses = c["household"] - n_flats
        # Apartment buildings, one or two to a transformer; each with its common meter and metered flats.
        buildings: list[tuple[Cluster, Place, list[int]]] = []
        weights = [rng.uniform(0.5, 1.6) for __ in range(c["apartment_common"])]
        flats_left = n_flats
        cluster = None
        for b, w in enumerate(weights):
            if cluster is None or rng.random() < 0.75:
                cluster = self._cluster("apartments", RESIDENTIAL_REGIONS, microdistrict=rng.random() < 0.3)
                place = cluster.place
            else:
                place = cluster.place.sibling(rng)
            flats = flats_left if b == len(weights) - 1 else min(flats_left, round(n_flats * w / sum(weights)))
            flats_left -= flats
            buildings.append((cluster, place, list(range(1, flats + 1))))
        # Private houses along streets, 12-30 to a transformer.
        house_clusters = []
        left = n_houses
        while left > 0:
            cluster = self._cluster("houses", RESIDENTIAL_REGIONS)
            size = min(left, rng.randint(8, 26))
            house_clusters.append((cluster, size))
            left -= size
        commercial_clusters = [
            self._cluster("commercial", RESIDENTIAL_REGIONS) for __ in range(max(1, round(c["commercial"] * 0.35 / 9)))
        ]
        rural = [
            self._cluster("rural", RURAL_REGIONS, village=True) for __ in range(max(1, round(c["greenhouse"] / 2)))
        ]

        # Mining in homes and buildings.
        house_slots = [(cl, k) for cl, size in house_clusters for k in range(size)]
        rng.shuffle(house_slots)
        bypass_clusters = rng.sample([cl for cl, __ in house_clusters], min(len(house_clusters), c["bypass_farm"]))
        bypass_premises = set()
        for cl in bypass_clusters:
            cl.bypass_kw = p.log_uniform(rng, 50, 500)
            slot = next(s for s in house_slots if s[0] is cl and s not in bypass_premises)
            bypass_premises.add(slot)
        home_in_houses = round(c["home_miner"] * 0.7)
        home_slots = [s for s in house_slots if s not in bypass_premises][:home_in_houses]
        for b_cluster, b_place, flats in buildings:
            self.apartment_common(b_cluster, b_place, len(flats))
        flat_slots = [(cl, pl, unit) for cl, pl, units in buildings for unit in units]
        rng.shuffle(flat_slots)
        home_flat_slots = set(range(c["home_miner"] - len(home_slots)))
        for index, (cl, pl, unit) in enumerate(flat_slots):
            if index in home_flat_slots:
                self.home_miner(cl, pl, unit)
            else:
                self.household(cl, pl, unit)
        home_slot_set = set(home_slots)
        for cl, size in house_clusters:
            street = cl.place
            for k in range(size):
                place = street.sibling(rng)
                if (cl, k) in home_slot_set:
                    self.home_miner(cl, place, None)
                elif (cl, k) in bypass_premises:
                    site = self.household(cl, place, None, note_extra=" (premises of a bypassed farm)")
                    cl.bypass = site
                else:
                    self.household(cl, place, None)
        # Split farms: in flats of an apartment building, or in the offices of a commercial property.
        n_split_flats = round(c["split_farm"] * 0.6)
        split_buildings = rng.sample(buildings, min(len(buildings), n_split_flats))
        for b_cluster, b_place, flats in split_buildings:
            self.split_farm(b_cluster, b_place, True, len(flats) + 1)
        for k in range(c["split_farm"] - len(split_buildings)):
            cl = commercial_clusters[k % len(commercial_clusters)]
            self.split_farm(cl, cl.place.sibling(rng), False, rng.randint(1, 5))

        # Shops and offices: ground floors of apartment buildings, corner shops, commercial streets.
        for k in range(c["commercial"]):
            r = rng.random()
            if r < 0.5:
                cl, pl, flats = rng.choice(buildings)
                meter, fn, note = self.business(cl, pl, rng.randint(1, 12))
            elif r < 0.65:
                cl = rng.choice(house_clusters)[0]
                meter, fn, note = self.business(cl, cl.place.sibling(rng), None)
            else:
                cl = commercial_clusters[k % len(commercial_clusters)]
                meter, fn, note = self.business(
                    cl, cl.place.sibling(rng), rng.randint(1, 40) if rng.random() < 0.5 else None
                )
            self._site("commercial", note, [meter], _single(meter.meter_id, fn), cl)

        # Industry zones: feeders with 2-5 large consumers of every kind, mining mixed in.
        industrial: list[Callable[[Cluster], Site]] = []
        industrial += [self._workshop_site] * c["shift_industry"]
        subtypes = p.CONTINUOUS_SUBTYPES
        industrial += [
            partial(self.continuous, subtype=subtypes[k % len(subtypes)]) for k in range(c["continuous_plant"])
        ]
        industrial += [self.data_centre] * c["data_centre"]
        industrial += [self.flat_farm] * c["flat_farm"]
        industrial += [self.evening_curtailment] * c["evening_curtailment"]
        industrial += [self.patchy_modem] * c["patchy_modem"]
        industrial += [self.farm_in_business] * (c["farm_in_business"] // 2)
        industrial += [partial(self.recent_start, base="workshop")] * (c["recent_start"] // 4)
        licensed_firms = self._licensed_firms(c["licensed_miner"])
        for firm in licensed_firms:
            for __ in range(firm["sites"]):
                industrial.append(partial(self.licensed, firm=firm))
        rng.shuffle(industrial)
        while industrial:
            cluster = self._cluster("industrial", INDUSTRIAL_REGIONS)
            for make in industrial[: rng.randint(2, 4)]:
                make(cluster)
            industrial = industrial[len(cluster.sites) :] if cluster.sites else industrial[1:]
        # Remaining businesses with farms and recent starts in commercial streets and among houses.
        for __ in range(c["farm_in_business"] - c["farm_in_business"] // 2):
            self.farm_in_business(rng.choice(commercial_clusters))
        n_recent = c["recent_start"] - c["recent_start"] // 4
        for k in range(n_recent):
            if k < round(c["recent_start"] / 2):
                cl = rng.choice([hc for hc, __ in house_clusters if hc.bypass_kw == 0])
                self.recent_start(cl, "home")
            else:
                self.recent_start(rng.choice(commercial_clusters), "shop")
        # Greenhouses in villages, with a few village houses on the same transformer.
        for k in range(c["greenhouse"]):
            self.greenhouse(rural[k % len(rural)])
        for cl in rural:
            for __ in range(rng.randint(0, 6)):
                self.household(cl, cl.place.sibling(rng), None)

        # Transformer meters: the grid company's own, one per cluster.
        for cl in self.clusters:
            region = cl.region
            op = operator(region)
            op_bin = self.operator_bins.setdefault(op, self.ids.bin())
            tp_id = self.ids.transformer(region)
            number = tp_id.rsplit("-", 1)[1]
            label = (
                rng.choice(("TP", "KTP", "ТП")) if cl.kind != "industrial" else rng.choice(("RP", "PS feeder", "TP"))
            )
            address = f"{label}-{number}, {self._address(cl.place.sibling(rng))}"
            cl.meter = Meter(tp_id, op, op, op_bin, region, address, "industrial", None, "", "transformer")
            if cl.kind in ("apartments", "houses", "rural") and rng.random() < 0.12:
                cl.lighting_kw = rng.uniform(3.0, 15.0)
            for site in cl.sites:
                for meter in site.meters:
                    meter.parent = tp_id
            if cl.bypass_kw:
                premises = cl.bypass
                cl.bypass = Site(
                    f"S{len(self.sites) + 1:05d}",
                    "bypass_farm",
                    True,
                    f"ASIC {cl.bypass_kw:.0f} kW bypassing the meter of {premises.meters[0].meter_id}",
                    [cl.meter],
                    lambda tl, wx, r: {},
                )
                self.sites.append(cl.bypass)
                premises.note += f" {cl.bypass.site_id}"
                cl.site_id = cl.bypass.site_id
            else:
                cl.site_id = f"S{len(self.sites) + 1:05d}"
                self.sites.append(Site(cl.site_id, "transformer", False, "", [cl.meter], lambda tl, wx, r: {}))

    def _workshop_site(self, cluster: Cluster) -> Site:
        meter, fn, note = self.workshop(cluster, cluster.place.sibling(self.rng))
        return self._site("shift_industry", note, [meter], _single(meter.meter_id, fn), cluster)

    def _licensed_firms(self, n_sites: int) -> list[dict]:
        rng = self.rng
        firms = []
        left = n_sites
        while left > 0:
            sites = 2 if left > 1 and rng.random() < 0.15 else 1
            left -= sites
            name = firm_name(rng, rng.choice(("Mining", "Digital", "Hash", "Data")))
            if name.startswith("IP "):
                name = f"TOO {rng.choice(('Altyn', 'Ertis', 'Tengri'))} Digital Mining"
            region = _pick(rng, INDUSTRIAL_REGIONS)
            firm = {"bin": self.ids.bin(), "name": name, "region": region, "sites": sites, "facilities": []}
            firm["email"] = f"office@{name.split(' ', 1)[1].lower().replace(' ', '')}.kz"
            firm["address"] = Place(rng, region).render(rng)
            firms.append(firm)
        self.firms = firms
        return firms


# --- metering and writing ----------------------------------------------------------------------------------


def gap_mask(tl: p.Timeline, rng: Random, style: str) -> list[bool]:
    """Which hours a meter fails to report (True = no reading)."""
    hours = tl.hours
    missing = [False] * hours
    if style == "patchy":
        # A GSM modem losing 30-50 % of hours in blocks of a few hours to a day.
        for __ in range(30):
            target = rng.uniform(0.3, 0.5)
            gap_mean = rng.uniform(3.0, 12.0)
            up_mean = gap_mean * (1 - target) / target
            missing = [False] * hours
            h = int(rng.expovariate(1 / up_mean))
            while h < hours:
                length = max(1, round(rng.expovariate(1 / gap_mean)))
                for k in range(h, min(hours, h + length)):
                    missing[k] = True
                h += length + max(1, round(rng.expovariate(1 / up_mean)))
            last = missing[-min(hours, 720) :]
            if 0.3 <= sum(missing) / hours <= 0.5 and 0.28 <= sum(last) / len(last) <= 0.52:
                break
        return missing
    r = rng.random()
    if style == "transformer":
        if r < 0.05:
            start = rng.randrange(hours)
            for k in range(start, min(hours, start + rng.randint(1, 6))):
                missing[k] = True
        return missing
    if r < 0.7:
        return missing
    if r < 0.95:
        for __ in range(rng.randint(1, max(1, round(8 * hours / 1440)))):
            missing[rng.randrange(hours)] = True
        return missing
    start = rng.randrange(hours)
    for k in range(start, min(hours, start + rng.randint(6, 36))):
        missing[k] = True
    return missing


def _rating(peak_kw: float) -> float:
    for kva in TP_RATINGS_KVA:
        if kva * 0.9 >= peak_kw * 1.15:
            return kva / 1000
    return math.ceil(peak_kw * 1.3 / 1000)


def _month_hours(month: str) -> int:
    year, mon = int(month[:4]), int(month[5:])
    first = dt.date(year, mon, 1)
    nxt = dt.date(year + (mon == 12), mon % 12 + 1, 1)
    return (nxt - first).days * 24


def parse_end(value: str | dt.datetime) -> dt.datetime:
    if isinstance(value, dt.datetime):
        end = value
    else:
        end = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if end.tzinfo is None:
        end = end.replace(tzinfo=dt.UTC)
    end = end.astimezone(dt.UTC)
    if end.minute or end.second or end.microsecond:
        raise ValueError("end must be on the hour")
    return end


def generate(
    out_dir: str | os.PathLike,
    seed: int = 1,
    days: int = 60,
    end: str | dt.datetime = "2026-11-01T00:00:00Z",
    scale: float = 1.0,
) -> dict:
    """Write firms, grid_connections, facilities, licences, declarations, readings and truth CSVs to out_dir."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    end_at = parse_end(end)
    tl = p.Timeline(end_at, days)
    world = World(seed, scale, end_at, days)
    weather: dict[str, p.Weather] = {}
    hours = tl.hours
    stamps = tl.stamps
    stats: dict[str, tuple[float, float]] = {}  # meter -> (mean kW over the hours reported, peak kW)
    licensed_meters = {m.meter_id: s.facility["ref"] for s in world.sites if s.facility for m in s.meters}
    monthly: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0, 0])  # (ref, month) -> kWh, peak, n
    rows = 0

    with open(out / "readings.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("meter_id", "period_start", "kwh"))

        def emit(meter_id: str, series: list[float], missing: list[bool]) -> int:
            kept = [(meter_id, stamps[h], f"{v:.3f}") for h, v in enumerate(series) if not missing[h]]
            writer.writerows(kept)
            present = [v for h, v in enumerate(series) if not missing[h]]
            stats[meter_id] = (sum(present) / len(present) if present else 0.0, max(present, default=0.0))
            ref = licensed_meters.get(meter_id)
            if ref:
                for h, v in enumerate(series):
                    if not missing[h]:
                        cell = monthly[(ref, tl.month[h])]
                        cell[0] += v
                        cell[2] += 1
                        cell[1] = max(cell[1], v)
            return len(kept)

        for cl in world.clusters:
            wx = weather.get(cl.region)
            if wx is None:
                wx = weather[cl.region] = p.Weather(tl, cl.region, Random(f"{seed}/weather/{cl.region}"))
            tp_id = cl.meter.meter_id
            supply = p.stop_factor(
                tl, Random(f"{seed}/{tp_id}/supply"), Random(f"{seed}/{tp_id}/r").uniform(0, 0.6), (1, 4), (0, 0)
            )
            children = [0.0] * hours
            for site in cl.sites:
                loads = site.load(tl, wx, Random(f"{seed}/{site.site_id}"))
                for meter in site.meters:
                    series = [max(0.0, v * s) for v, s in zip(loads[meter.meter_id], supply, strict=True)]
                    for h, v in enumerate(series):
                        children[h] += v
                    rows += emit(
                        meter.meter_id, series, gap_mask(tl, Random(f"{seed}/{meter.meter_id}/gaps"), meter.gaps)
                    )
            # The transformer meter: children x (1 + technical losses, load-dependent) + unmetered loads + noise.
            r = Random(f"{seed}/{tp_id}/meter")
            mean = sum(children) / hours or 1.0
            loss = r.uniform(0.02, 0.06)
            fixed, k = 0.3 * loss * mean, 0.7 * loss / mean
            extra = [0.0] * hours
            if cl.bypass_kw:
                farm = p.asic_farm(tl, wx, Random(f"{seed}/{cl.site_id}"), cl.bypass_kw)
                bypass_loss = r.uniform(0.01, 0.03)
                extra = [v * (1 + bypass_loss) for v in farm]
            if cl.lighting_kw:
                cl.lighting_kw = min(cl.lighting_kw, 0.05 * mean)  # a few lamps on the poles of this street
                extra = [e + cl.lighting_kw * wx.dark[h] for h, e in enumerate(extra)]
            bias = r.uniform(-0.004, 0.004)
            series = []
            for h in range(hours):
                flow = children[h] + (fixed + k * children[h] ** 2 + extra[h]) * supply[h]
                series.append(max(0.0, flow * (1 + bias + r.gauss(0, 0.002))))
            rows += emit(tp_id, series, gap_mask(tl, Random(f"{seed}/{tp_id}/gaps"), "transformer"))
            cl.meter.contracted_mw = _rating(max(series))

    _write_register(out, world, stats)
    declarations = _write_declarations(out, world, tl, monthly)
    kinds = Counter(site.kind for site in world.sites)
    meters = sum(len(site.meters) for site in world.sites)
    return {
        "out_dir": str(out),
        "seed": seed,
        "scale": scale,
        "start": tl.start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "end": end_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "days": days,
        "connections": meters,
        "transformers": len(world.clusters),
        "readings": rows,
        "declarations": declarations,
        "firms": len(world.firms),
        "facilities": len(world.facilities),
        "sites": {kind: kinds.get(kind, 0) for kind in KINDS},
        "mining_sites": sum(kinds.get(kind, 0) for kind in MINING_KINDS),
    }


def _write_csv(path: Path, header: tuple[str, ...], rows) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _mw(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def _write_register(out: Path, world: World, stats: dict[str, tuple[float, float]]) -> None:
    transformers = [cl.meter for cl in world.clusters]
    consumers = [m for site in world.sites for m in site.meters if m.gaps != "transformer"]
    _write_csv(
        out / "grid_connections.csv",
        (
            "meter_id",
            "operator",
            "consumer_name",
            "consumer_bin",
            "region",
            "address",
            "tariff",
            "contracted_mw",
            "parent_meter_id",
        ),
        [
            (
                m.meter_id,
                m.operator,
                m.consumer_name,
                m.consumer_bin,
                m.region,
                m.address,
                m.tariff,
                _mw(m.contracted_mw),
                m.parent,
            )
            for m in transformers + consumers
        ],
    )
    _write_csv(
        out / "firms.csv",
        ("bin", "name", "region", "address", "email"),
        [(f["bin"], f["name"], f["region"], f["address"], f["email"]) for f in world.firms],
    )
    columns = (
        "ref",
        "firm_bin",
        "name",
        "region",
        "address",
        "latitude",
        "longitude",
        "meter_ids",
        "capacity_mw",
        "devices",
    )
    _write_csv(out / "facilities.csv", columns, [tuple(f[c] for c in columns) for f in world.facilities])
    rng = Random(f"{world.seed}/licences")
    as_of = (world.end + dt.timedelta(hours=p.LOCAL_OFFSET_HOURS)).date()
    licences = []
    for k, firm in enumerate(world.firms):
        valid_from = as_of - dt.timedelta(days=rng.randint(75, 900))
        try:
            until = valid_from.replace(year=valid_from.year + 3)
        except ValueError:  # 29 February
            until = valid_from.replace(year=valid_from.year + 3, day=28)
        capacity = sum(float(f["capacity_mw"]) for f in firm["facilities"])
        licences.append(
            (
                f"KZ-DM-{valid_from.year}-{k + 1:06d}",
                firm["bin"],
                ";".join(f["ref"] for f in firm["facilities"]),
                f"{capacity:.3f}",
                valid_from.isoformat(),
                (until - dt.timedelta(days=1)).isoformat(),
                "active",
                "II" if rng.random() < 0.15 else "I",
            )
        )
        firm["valid_from"] = valid_from
    _write_csv(
        out / "licences.csv",
        ("number", "firm_bin", "facility_refs", "capacity_mw", "valid_from", "valid_until", "status", "subtype"),
        licences,
    )
    truth = []
    for cl in world.clusters:
        tp = cl.meter
        avg, peak = stats.get(tp.meter_id, (0.0, 0.0))
        children = sum(len(s.meters) for s in cl.sites)
        note = f"{cl.kind} transformer, {children} meters below, avg {avg:.1f} kW"
        note += f", unmetered street lighting {cl.lighting_kw:.1f} kW" if cl.lighting_kw else ""
        if cl.bypass_kw:
            truth.append((tp.meter_id, cl.site_id, "bypass_farm", "true", f"{cl.bypass.note}; {note}"))
        else:
            truth.append((tp.meter_id, cl.site_id, "transformer", "false", note))
    for site in world.sites:
        if site.kind in ("transformer", "bypass_farm"):
            continue
        for m in site.meters:
            avg, peak = stats.get(m.meter_id, (0.0, 0.0))
            note = f"{site.note}; metered avg {avg:.2f} kW, peak {peak:.2f} kW"
            truth.append((m.meter_id, site.site_id, site.kind, "true" if site.is_mining else "false", note))
    _write_csv(out / "truth.csv", ("meter_id", "site_id", "kind", "is_mining", "note"), truth)


def _write_declarations(out: Path, world: World, tl: p.Timeline, monthly) -> int:
    """Licensed firms declare each month they ran (most of them, honestly); the month in progress at `end`
    only when its filing deadline (the 15th of the next month) has passed."""
    rng = Random(f"{world.seed}/declarations")
    by_ref = {f["ref"]: (f, firm) for firm in world.firms for f in firm["facilities"]}
    rows = []
    for (ref, month), (kwh, peak, n) in sorted(monthly.items()):
        facility, firm = by_ref[ref]
        year, mon = int(month[:4]), int(month[5:])
        month_end = dt.datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=dt.UTC)
        deadline = month_end + dt.timedelta(days=14)
        if month_end > tl.end or (deadline > tl.end and rng.random() < 0.6) or rng.random() < 0.1:
            continue
        if dt.date(year, mon, 1) < firm["valid_from"].replace(day=1):
            continue
        whole = kwh * _month_hours(month) / max(n, 1)
        mwh = whole / 1000 * rng.uniform(0.985, 1.03)
        peak_mw = peak / 1000 * rng.uniform(1.0, 1.05)
        rows.append((ref, month, f"{mwh:.3f}", f"{peak_mw:.3f}", facility["devices"], "grid_exchange"))
    _write_csv(
        out / "declarations.csv", ("facility_ref", "month", "consumed_mwh", "peak_mw", "devices", "power_source"), rows
    )
    return len(rows)
