"""Hourly load shapes for the field grid: time axis, weather, and one function per kind of load.

Every function returns the *true* energy drawn in each hour of the timeline (kWh per hour, i.e. mean kW),
before metering: the generator decides separately which hours a meter fails to report. All randomness
comes from the `random.Random` passed in, so a site's load depends only on the seed and the site.

The shapes and numbers are taken from published load-profile material (see README.md, "Sources"):
household daily curves, commercial and shift-industry schedules, continuous processes that move a few per
cent with the time of day, the weather and their process cycles, and ASIC miners that hold their power
within about 1-2 % apart from outages and curtailment.
"""

from __future__ import annotations

import datetime as dt
import math
from random import Random

LOCAL_OFFSET_HOURS = 5  # Kazakhstan has used one time zone, UTC+5, since March 2024.

# Public holidays (month, day) on which offices, shops and shift industry behave as on a Sunday.
HOLIDAYS = {(1, 1), (1, 2), (1, 7), (3, 8), (3, 21), (3, 22), (3, 23), (5, 1), (5, 7), (5, 9), (7, 6), (8, 30)}
HOLIDAYS |= {(10, 25), (12, 16)}

# Climate: offset of the yearly mean temperature from Almaty's (°C), latitude and longitude of a typical town.
REGION_CLIMATE = {
    "almaty": (0.0, 43.25, 76.9),
    "almaty_region": (-0.5, 43.9, 77.1),
    "astana": (-7.0, 51.17, 71.45),
    "shymkent": (3.5, 42.3, 69.6),
    "abai": (-5.5, 50.4, 80.25),
    "akmola": (-7.5, 53.3, 69.4),
    "aktobe": (-4.0, 50.3, 57.2),
    "atyrau": (-1.0, 47.1, 51.9),
    "east_kazakhstan": (-6.0, 49.95, 82.6),
    "jambyl": (0.5, 42.9, 71.4),
    "jetisu": (-2.0, 45.0, 78.4),
    "karaganda": (-6.0, 49.8, 73.1),
    "kostanay": (-6.5, 53.2, 63.6),
    "kyzylorda": (1.0, 44.85, 65.5),
    "mangystau": (1.5, 43.65, 51.2),
    "north_kazakhstan": (-8.5, 54.9, 69.15),
    "pavlodar": (-6.5, 52.3, 76.95),
    "turkistan": (3.5, 43.3, 68.25),
    "ulytau": (-4.5, 47.8, 67.7),
    "west_kazakhstan": (-3.5, 51.2, 51.4),
}

# Relative household load by local hour (mean 1), after typical published residential curves: low at
# night (0.35-0.4 of the mean), a morning rise at 7-8, a moderate day, the evening peak at 19-21.
_HOUSE_WEEKDAY = [0.42, 0.36, 0.33, 0.32, 0.33, 0.40, 0.62, 0.95, 0.92, 0.72, 0.62, 0.60]
_HOUSE_WEEKDAY += [0.66, 0.62, 0.58, 0.60, 0.70, 0.92, 1.22, 1.48, 1.62, 1.52, 1.20, 0.78]
_HOUSE_WEEKEND = [0.50, 0.42, 0.37, 0.35, 0.34, 0.36, 0.42, 0.58, 0.82, 1.00, 1.05, 1.02]
_HOUSE_WEEKEND += [1.05, 0.98, 0.92, 0.90, 0.95, 1.08, 1.30, 1.50, 1.58, 1.48, 1.18, 0.80]
# Municipal water demand (mean 0): morning and evening peaks, low at night.
_WATER_DEMAND = [-0.45, -0.55, -0.6, -0.6, -0.5, -0.2, 0.3, 0.7, 0.6, 0.35, 0.2, 0.15]
_WATER_DEMAND += [0.2, 0.15, 0.05, 0.0, 0.05, 0.25, 0.5, 0.55, 0.4, 0.1, -0.2, -0.4]


def _normalised(shape: list[float]) -> list[float]:
    mean = sum(shape) / len(shape)
    return [v / mean for v in shape]


HOUSE_WEEKDAY = _normalised(_HOUSE_WEEKDAY)
HOUSE_WEEKEND = _normalised(_HOUSE_WEEKEND)
WATER_DEMAND = [v - sum(_WATER_DEMAND) / 24 for v in _WATER_DEMAND]


def clip(value: float, low: float, high: float) -> float:
    return low if value < low else high if value > high else value


def log_uniform(rng: Random, low: float, high: float) -> float:
    return math.exp(rng.uniform(math.log(low), math.log(high)))


class Timeline:
    """The hours [end - days, end): UTC stamps, and each hour's local (UTC+5) hour, weekday and date."""

    def __init__(self, end: dt.datetime, days: int):
        self.end = end
        self.start = end - dt.timedelta(days=days)
        self.hours = days * 24
        self.stamps: list[str] = []
        self.local_hour: list[int] = []
        self.day: list[int] = []  # index into self.dates
        self.month: list[str] = []  # UTC month of the hour, YYYY-MM
        self.dates: list[dt.date] = []
        offset = dt.timedelta(hours=LOCAL_OFFSET_HOURS)
        for i in range(self.hours):
            instant = self.start + dt.timedelta(hours=i)
            local = instant + offset
            self.stamps.append(instant.strftime("%Y-%m-%dT%H:%M:%SZ"))
            self.local_hour.append(local.hour)
            self.month.append(instant.strftime("%Y-%m"))
            if not self.dates or self.dates[-1] != local.date():
                self.dates.append(local.date())
            self.day.append(len(self.dates) - 1)
        self.weekday = [d.weekday() for d in self.dates]
        self.holiday = [(d.month, d.day) in HOLIDAYS for d in self.dates]
        # A day off for offices and most industry: Sunday or a public holiday (Saturday is decided per site).
        self.sunday_or_holiday = [wd == 6 or hol for wd, hol in zip(self.weekday, self.holiday, strict=True)]

    def hour_of(self, instant: dt.datetime) -> int:
        return int((instant - self.start).total_seconds() // 3600)


class Weather:
    """Outdoor temperature, daylight and sunshine for one region over a timeline (shared by all its sites)."""

    def __init__(self, tl: Timeline, region: str, rng: Random):
        offset, lat, lon = REGION_CLIMATE[region]
        self.region = region
        phi = math.radians(lat)
        noon = 12.0 + (LOCAL_OFFSET_HOURS * 15 - lon) / 15.0  # local clock time of solar noon
        # Almaty: monthly means -4.7 °C (January) to 23.8 °C (July); about 10 °C day-night range.
        diurnal = rng.uniform(4.0, 6.0)
        anomaly = [rng.gauss(0.0, 3.0)]
        for __ in range(len(tl.dates)):
            anomaly.append(0.7 * anomaly[-1] + rng.gauss(0.0, 2.2))
        self.clearness = [clip(rng.betavariate(2.2, 1.3), 0.05, 1.0) for __ in tl.dates]
        self.daylength: list[float] = []
        self.sunrise: list[float] = []
        self.sunset: list[float] = []
        decl = []
        for d in tl.dates:
            doy = d.timetuple().tm_yday
            delta = math.radians(-23.44 * math.cos(2 * math.pi * (doy + 10) / 365.0))
            decl.append(delta)
            omega = math.degrees(math.acos(clip(-math.tan(phi) * math.tan(delta), -1.0, 1.0)))
            length = 2 * omega / 15.0
            self.daylength.append(length)
            self.sunrise.append(noon - length / 2)
            self.sunset.append(noon + length / 2)
        self.temp: list[float] = []
        self.sun: list[float] = []  # sine of the sun's elevation at mid-hour times the day's clearness, >= 0
        self.dark: list[float] = []  # share of the hour between sunset and sunrise
        for i in range(tl.hours):
            d = tl.day[i]
            lh = tl.local_hour[i]
            doy = tl.dates[d].timetuple().tm_yday + lh / 24.0
            climate = 9.5 - 14.2 * math.cos(2 * math.pi * (doy - 15) / 365.0) + offset
            frac = lh / 24.0
            weather = anomaly[d] * (1 - frac) + anomaly[d + 1] * frac
            self.temp.append(climate + weather + diurnal * math.cos(2 * math.pi * (lh + 0.5 - 15) / 24.0))
            delta = decl[d]
            elevation = math.sin(phi) * math.sin(delta) + math.cos(phi) * math.cos(delta) * math.cos(
                math.radians(15.0 * (lh + 0.5 - noon))
            )
            self.sun.append(max(0.0, elevation) * self.clearness[d])
            lit = clip(min(lh + 1, self.sunset[d]) - max(lh, self.sunrise[d]), 0.0, 1.0)
            self.dark.append(1.0 - lit)
        self.mean_temp = sum(self.temp) / len(self.temp)


# --- building blocks -------------------------------------------------------------------------------------------


def stop_factor(
    tl: Timeline, rng: Random, per_30_days: float, hours: tuple[float, float], floor: tuple[float, float]
) -> list[float]:
    """Multiplicative factor per hour for outages or maintenance stops: 1 normally, `floor` while stopped.

    Stops start at a random minute, so the first and last hour of a stop are partly running.
    """
    factor = [1.0] * tl.hours
    expected = per_30_days * tl.hours / 720.0
    count = int(expected) + (1 if rng.random() < expected - int(expected) else 0)
    for __ in range(count):
        start = rng.uniform(0, tl.hours)
        length = rng.uniform(*hours)
        level = rng.uniform(*floor)
        end = min(start + length, tl.hours)
        for h in range(int(start), min(int(math.ceil(end)), tl.hours)):
            stopped = min(end, h + 1) - max(start, h)
            factor[h] = min(factor[h], 1.0 - stopped * (1.0 - level))
    return factor


def level_steps(tl: Timeline, rng: Random, mean_gap_hours: float, sd: float) -> list[float]:
    """A mean-reverting piecewise-constant level around 1 (production set-points, pumps switched in and out)."""
    out = []
    level = 1.0 + rng.gauss(0, sd)
    next_change = rng.expovariate(1.0 / mean_gap_hours)
    for h in range(tl.hours):
        if h >= next_change:
            level = 1.0 + rng.gauss(0, sd)
            next_change = h + rng.expovariate(1.0 / mean_gap_hours)
        out.append(level)
    return out


def asic_farm(
    tl: Timeline,
    wx: Weather,
    rng: Random,
    kw: float,
    *,
    outages: Random | None = None,
    outage_rate: float | None = None,
    unit_kw: float = 3.25,
) -> list[float]:
    """An ASIC farm of about `kw`: flat within ~1-2 % hour to hour apart from outages.

    Power rises a little with the outdoor temperature (fans, chip temperature: 0.1-0.4 %/°C), a board or a
    machine now and then fails and is back after 1-6 days, the operator may add or remove a batch of
    machines once, and the whole site has outages of hours (grid trips, maintenance, cleaning).
    `outages` (a Random) lets several meters of one site share the same outages.
    """
    hours = tl.hours
    units = max(1, round(kw / unit_kw))
    temp_coef = rng.uniform(0.001, 0.004)
    sigma = rng.uniform(0.002, 0.005)
    phi = rng.uniform(0.3, 0.7)
    running = [1.0] * hours
    # Machines failing: each day a unit may drop out until repaired.
    p_fail = min(0.6, units * 0.003)
    for d in range(len(tl.dates)):
        if rng.random() < p_fail:
            start = d * 24 + rng.randrange(24)
            for h in range(start, min(hours, start + rng.randint(24, 144))):
                running[h] -= 1.0 / units
    # A batch added or removed once (expansion, machines sent for repair).
    if rng.random() < 0.3:
        at = rng.randrange(hours)
        change = rng.choice((-1, 1)) * rng.uniform(0.04, 0.15)
        for h in range(at, hours):
            running[h] += change
    source = outages if outages is not None else rng
    rate = outage_rate if outage_rate is not None else rng.uniform(0.3, 2.5)
    down = stop_factor(tl, source, rate, (1.0, 12.0), (0.0, 0.03))
    temps = wx.temp
    tmean = wx.mean_temp
    e = 0.0
    out = []
    for h in range(hours):
        e = phi * e + rng.gauss(0.0, sigma)
        value = kw * max(0.0, running[h]) * (1.0 + temp_coef * (temps[h] - tmean)) * (1.0 + e)
        out.append(value * down[h])
    # The first hour back after an outage: machines restart one rack at a time.
    for h in range(1, hours):
        if down[h - 1] < 0.5 and down[h] == 1.0:
            out[h] *= rng.uniform(0.4, 0.9)
    return out


def curtailment(
    tl: Timeline, rng: Random, *, ordered: bool, start_hour: int, length: float, floor: float
) -> list[float]:
    """A factor per hour: 1 running, `floor` during an evening curtailment window (local time).

    Ordered curtailment (a dispatcher's instruction) keeps the same window every day; price-driven
    curtailment moves by an hour or so, varies in length, and skips some days.
    """
    factor = [1.0] * tl.hours
    skip = 0.0 if ordered else rng.uniform(0.05, 0.2)
    for d in range(len(tl.dates)):
        if rng.random() < skip:
            continue
        if ordered:
            start = start_hour + (0.0 if rng.random() < 0.8 else rng.choice((0.25, 0.5)))
            span = length
        else:
            start = start_hour + rng.choice((-1, 0, 0, 0, 1)) + rng.choice((0.0, 0.25, 0.5, 0.75))
            span = clip(rng.gauss(length, 0.7), 3.0, 6.5)
        first = d * 24 - tl.local_hour[0]  # index of local midnight of this day
        begin, end = first + start, first + start + span
        for h in range(max(0, int(begin)), min(tl.hours, int(math.ceil(end)))):
            off = min(end, h + 1) - max(begin, h)
            factor[h] = 1.0 - off * (1.0 - floor)
    return factor


# --- innocent loads ---------------------------------------------------------------------------------------------


def household(
    tl: Timeline,
    wx: Weather,
    rng: Random,
    avg_kw: float,
    *,
    heating_kw: float = 0.0,
    retired: bool = False,
    vacation_days: int = 0,
) -> list[float]:
    """A home: daily curve with morning and evening peaks, different at weekends, noisy hour to hour
    (appliances: kettle, oven, washing machine), a fridge floor, optional electric heating that follows the
    outdoor temperature, and optionally a week or two away."""
    shift = rng.choice((-1, 0, 0, 1))
    amp = rng.uniform(0.6, 1.3)
    wd = [1 + amp * (HOUSE_WEEKDAY[(h - shift) % 24] - 1) for h in range(24)]
    we = [1 + amp * (HOUSE_WEEKEND[(h - shift) % 24] - 1) for h in range(24)]
    if retired:
        wd = [v + (0.25 if 9 <= h <= 17 else 0.0) for h, v in enumerate(wd)]
    wd, we = _normalised(wd), _normalised(we)
    floor = rng.uniform(0.04, 0.10)
    spikes = avg_kw * 0.15
    base = max(0.05, avg_kw - floor - spikes)
    day_factor = [math.exp(rng.gauss(0, 0.12)) for __ in tl.dates]
    away = set()
    if vacation_days:
        first = rng.randrange(max(1, len(tl.dates) - vacation_days))
        away = set(range(first, first + vacation_days))
    heat_start = rng.uniform(11.0, 15.0)
    out = []
    temps = wx.temp
    for h in range(tl.hours):
        d = tl.day[h]
        lh = tl.local_hour[h]
        if d in away:
            value = floor * (1 + rng.gauss(0, 0.15))
            if heating_kw:
                value += 0.3 * heating_kw * clip((heat_start - 5 - temps[h]) / 25.0, 0.0, 1.0)
            out.append(max(0.01, value))
            continue
        shape = we[lh] if tl.weekday[d] >= 5 or tl.holiday[d] else wd[lh]
        value = floor * (1 + rng.gauss(0, 0.1)) + base * shape * day_factor[d] * math.exp(rng.gauss(0, 0.28))
        if rng.random() < 0.25 * shape:
            value += spikes * rng.uniform(1.0, 7.0)
        if heating_kw:
            demand = clip((heat_start - temps[h]) / 25.0, 0.0, 1.0)
            presence = 1.0 if (lh >= 17 or lh < 8) else 0.75
            value += heating_kw * demand * presence * clip(rng.gauss(1.0, 0.2), 0.3, 1.5)
        out.append(max(0.01, value))
    return out


def apartment_common(
    tl: Timeline, wx: Weather, rng: Random, *, lighting_kw: float, lift_kw: float, pump_kw: float
) -> list[float]:
    """An apartment block's common meter: stairwell and yard lighting in the dark hours, lifts that follow
    the residents' daily activity, a water booster pump following water demand, small constant loads."""
    misc = rng.uniform(0.3, 1.5)
    out = []  # lamps fail and are replaced, doors and intercoms, the odd contractor: a few % of noise
    for h in range(tl.hours):
        d = tl.day[h]
        lh = tl.local_hour[h]
        activity = HOUSE_WEEKEND[lh] if tl.weekday[d] >= 5 else HOUSE_WEEKDAY[lh]
        light = lighting_kw * (0.15 + 0.85 * wx.dark[h])
        lift = lift_kw * activity * math.exp(rng.gauss(0, 0.3))
        pump = pump_kw * (1 + 0.6 * WATER_DEMAND[lh]) * (1 + rng.gauss(0, 0.08))
        out.append(max(0.1, (misc + light) * (1 + rng.gauss(0, 0.04)) + lift + pump))
    return out


def commercial(
    tl: Timeline,
    wx: Weather,
    rng: Random,
    peak_kw: float,
    *,
    base_frac: float,
    open_hour: int,
    close_hour: int,
    saturday: bool,
    sunday: bool,
) -> list[float]:
    """A shop or an office: business hours with ramps at opening and closing, cooling on hot afternoons,
    a night base (refrigeration, security lighting, servers) that follows the temperature a little."""
    cool = rng.uniform(0.0, 0.02)
    day_factor = [clip(rng.gauss(1.0, 0.05), 0.8, 1.2) for __ in tl.dates]
    out = []
    for h in range(tl.hours):
        d = tl.day[h]
        lh = tl.local_hour[h]
        wd = tl.weekday[d]
        is_open = not tl.holiday[d] and (wd < 5 or (wd == 5 and saturday) or (wd == 6 and sunday))
        temp = wx.temp[h]
        night = base_frac * (1 + 0.01 * (temp - 10))
        if is_open and open_hour <= lh < close_hour:
            level = 1.0 + cool * max(0.0, temp - 22) * 4 - (0.08 if lh == 13 else 0.0)
            level *= day_factor[d]
        elif is_open and lh == open_hour - 1:
            level = night + 0.45 * (1 - night)
        elif is_open and lh == close_hour:
            level = night + 0.3 * (1 - night)
        else:
            level = night
        out.append(max(0.0, peak_kw * level * (1 + rng.gauss(0, 0.06))))
    return out


def shift_industry(
    tl: Timeline,
    wx: Weather,
    rng: Random,
    peak_kw: float,
    *,
    shifts: int,
    saturday: bool,
    sunday: bool,
    base_frac: float,
) -> list[float]:
    """A workshop or factory working 1, 2 or 3 shifts: breaks and shift changes dip, the day's production
    level varies with the order book, idle hours keep a base (lighting, compressors, heating)."""
    if shifts == 1:
        hours = dict.fromkeys(range(8, 17), 1.0) | {12: 0.65, 8: 0.8}
    elif shifts == 2:
        hours = dict.fromkeys(range(7, 23), 1.0) | {11: 0.85, 15: 0.8, 19: 0.85, 7: 0.8}
    else:
        hours = dict.fromkeys(range(24), 1.0) | {7: 0.8, 15: 0.8, 23: 0.8, 3: 0.9}
    level = [clip(rng.gauss(0.9, 0.07), 0.6, 1.05) for __ in tl.dates]
    out = []
    for h in range(tl.hours):
        d = tl.day[h]
        wd = tl.weekday[d]
        works = (wd < 5 or (wd == 5 and saturday) or (wd == 6 and sunday)) and not (tl.holiday[d] and shifts < 3)
        share = hours.get(tl.local_hour[h], 0.0) if works else 0.0
        if share:
            value = peak_kw * (base_frac + (1 - base_frac) * share * level[d]) * (1 + rng.gauss(0, 0.06))
        else:
            value = peak_kw * base_frac * (1 + 0.004 * max(0.0, 10 - wx.temp[h])) * (1 + rng.gauss(0, 0.1))
        out.append(max(0.0, value))
    return out


CONTINUOUS_SUBTYPES = ("water_pumping", "cold_store", "kiln", "oxygen_plant", "heat_network_pump")


def continuous_plant(tl: Timeline, wx: Weather, rng: Random, kw: float, *, subtype: str) -> list[float]:
    """A legitimate 24/7 process: load factor about 0.85-0.93, but the hourly load moves a few per cent with
    the time of day, the outdoor temperature and the process's own cycles, and it stops for maintenance.

    - water pumping: follows the town's water demand (morning/evening peaks), pumps switched in and out;
    - cold store: compressors work harder when it is warm (0.3-0.6 %/°C of the plant), defrost cycles, doors in
      working hours;
    - kiln (brick, ceramics, lime): fans and burners steady, mills and presses on the day shifts, push cycles;
    - oxygen plant (air separation): main compressor steady, power follows intake air temperature, set-point
      changes every few days, cylinder filling in the day shift;
    - heat-network pump: flow follows the heating demand in the heating season, hot-water draw peaks.
    """
    hours = tl.hours
    temps = wx.temp
    tmean = wx.mean_temp
    diurnal = [0.0] * 24
    temp_coef = 0.0
    cycle_period = 0
    cycle_amp = 0.0
    day_shift = 0.0
    if subtype == "water_pumping":
        amp = rng.uniform(0.04, 0.08)
        diurnal = [amp * v / 0.7 for v in WATER_DEMAND]
        temp_coef = rng.uniform(0.002, 0.005)
        steps = level_steps(tl, rng, rng.uniform(6, 30), rng.uniform(0.015, 0.03))
        sigma = rng.uniform(0.01, 0.02)
    elif subtype == "cold_store":
        temp_coef = rng.uniform(0.003, 0.006)
        cycle_period = rng.choice((6, 8, 12))
        cycle_amp = rng.uniform(0.04, 0.08)
        day_shift = rng.uniform(0.02, 0.05)
        steps = level_steps(tl, rng, 48, rng.uniform(0.01, 0.02))
        sigma = rng.uniform(0.01, 0.02)
    elif subtype == "kiln":
        day_shift = rng.uniform(0.04, 0.09)
        cycle_period = rng.choice((2, 3, 4))
        cycle_amp = rng.uniform(0.02, 0.05)
        steps = level_steps(tl, rng, rng.uniform(24, 96), rng.uniform(0.015, 0.03))
        sigma = rng.uniform(0.01, 0.02)
    elif subtype == "oxygen_plant":
        temp_coef = rng.uniform(0.003, 0.005)
        day_shift = rng.uniform(0.02, 0.05)
        steps = level_steps(tl, rng, rng.uniform(24, 96), rng.uniform(0.02, 0.04))
        sigma = rng.uniform(0.008, 0.015)
    elif subtype == "heat_network_pump":
        amp = rng.uniform(0.03, 0.06)
        diurnal = [amp * v / 0.7 for v in WATER_DEMAND]
        steps = level_steps(tl, rng, rng.uniform(12, 48), rng.uniform(0.015, 0.03))
        sigma = rng.uniform(0.01, 0.02)
    else:
        raise ValueError(subtype)
    # Heat-network pumps: the heating season starts once the 5-day mean outdoor temperature is +8 °C or
    # below (+10 °C in Astana); outside it the network circulates hot water only, at 85-93 % of the pumping.
    season = [1.0] * hours
    if subtype == "heat_network_pump":
        summer = rng.uniform(0.85, 0.93)
        threshold = 10.0 if wx.region == "astana" else 8.0
        on = False
        for h in range(hours):
            if not on and h >= 120 and sum(temps[h - 120 : h]) / 120 <= threshold:
                on = True
            season[h] = 0.93 + 0.07 * clip((10 - temps[h]) / 25.0, 0.0, 1.0) if on else summer
    stops = stop_factor(tl, rng, rng.uniform(0.7, 2.5), (2.0, 24.0), (0.1, 0.6))
    trips = stop_factor(tl, rng, rng.uniform(0.0, 1.5), (0.3, 2.0), (0.3, 0.8))
    phase = rng.randrange(24)
    out = []
    for h in range(hours):
        d = tl.day[h]
        lh = tl.local_hour[h]
        value = 1.0 + diurnal[lh] + temp_coef * (temps[h] - tmean)
        if cycle_period:
            value += cycle_amp * (((h + phase) % cycle_period) == 0) * rng.choice((-1, 1))
        if day_shift and tl.weekday[d] < 5 and not tl.holiday[d] and 8 <= lh < 20:
            value += day_shift
        value *= steps[h] * season[h] * (1 + rng.gauss(0, sigma))
        out.append(max(0.0, kw * value * stops[h] * trips[h]))
    return out


def greenhouse(
    tl: Timeline,
    wx: Weather,
    rng: Random,
    *,
    lamps_kw: float,
    base_kw: float,
    photoperiod_start: int,
    photoperiod_hours: int,
    lit_below_daylength: float,
    groups: int,
) -> list[float]:
    """A greenhouse: supplemental lighting (HPS/LED) on in a fixed photoperiod of 16-18 h with a dark
    period, switched off in groups when the sun is strong, used only once the days are short; fans, pumps
    and heating circulation follow sunshine and cold."""
    sun_off = rng.uniform(0.35, 0.6)
    out = []
    for h in range(tl.hours):
        d = tl.day[h]
        lh = tl.local_hour[h]
        lamps = 0.0
        if lamps_kw and wx.daylength[d] < lit_below_daylength and (lh - photoperiod_start) % 24 < photoperiod_hours:
            share = clip(1.0 - wx.sun[h] / sun_off, 0.0, 1.0)
            lamps = lamps_kw * math.ceil(share * groups - 1e-9) / groups
        temp = wx.temp[h]
        base = base_kw * (0.6 + 0.6 * wx.sun[h] + 0.02 * max(0.0, 12 - temp)) * (1 + rng.gauss(0, 0.08))
        out.append(max(0.0, lamps * (1 + rng.gauss(0, 0.01)) + base))
    return out


def data_centre(tl: Timeline, wx: Weather, rng: Random, it_kw: float, *, pue: float) -> list[float]:
    """A (non-mining) data centre: an IT load that is very flat (1-3 % more in business hours, new racks
    now and then) plus cooling that follows the outdoor temperature with free cooling in the cold."""
    biz = rng.uniform(0.01, 0.03)
    growth = [1.0] * tl.hours
    for __ in range(rng.randint(0, 2)):
        at = rng.randrange(tl.hours)
        step = rng.uniform(0.01, 0.05)
        for h in range(at, tl.hours):
            growth[h] += step
    maintenance = stop_factor(tl, rng, rng.uniform(0.0, 0.3), (1.0, 4.0), (0.85, 0.95))
    out = []
    e = 0.0
    for h in range(tl.hours):
        d = tl.day[h]
        lh = tl.local_hour[h]
        busy = biz if tl.weekday[d] < 5 and 9 <= lh < 19 else 0.0
        e = 0.6 * e + rng.gauss(0, 0.004)
        it = it_kw * growth[h] * (1 + busy + e)
        cooling = it * (pue - 1) * clip(1 + 0.012 * (wx.temp[h] - 15), 0.6, 1.4)
        out.append((it + cooling) * maintenance[h])
    return out
