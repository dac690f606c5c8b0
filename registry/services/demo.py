"""Deterministic demo data: a licensed industry, a grid feed with hidden farms, the 2022 campaign and recent closures.

Everything is fictional. The same seed gives the same firms, people, sites,
licences and load profiles; the grid feed and the licence dates are placed
relative to `today`, so the demo always looks live.
"""

import base64
import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import Group, Permission, User
from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from registry import clock
from registry.detection import rules, series
from registry.models import (
    EnforcementAction,
    Facility,
    FacilityConnection,
    Firm,
    FirmMembership,
    Flag,
    FlagMeter,
    GridConnection,
    Inspection,
    Licence,
    LicenceCoverage,
    Ownership,
    Person,
    PowerDeclaration,
)
from registry.roles import roles_sync
from registry.services.detection import thresholds_current
from registry.services.enforcement import inspection_recorded
from registry.services.flags import flag_assign, flag_schedule_inspection
from registry.services.partitions import months_between, readings_partitions_ensure
from registry.validators import bin_check_digit

DEMO_PASSWORD = "demo"  # nosec B105  # the published demo password, demo data only
# The demo staff's authenticator secret, published with the demo (base32, as an authenticator app takes it).
# `manage.py demo_totp` prints its current code; real staff enrol their own app at first login.
DEMO_TOTP_SECRET = "MINEREGDEMOTOTPSECRETKEY2345IJKL"  # nosec B105  # published, demo staff only
STAFF_LOGINS = {"regulator": "regulators", "inspector": "inspectors", "auditor": "auditors"}

# The 2022 inspection campaign, as the Agency for Financial Monitoring reported it.
CAMPAIGN_VOLUNTARY_CLOSURES = 55
CAMPAIGN_CANCELLED = 51
CAMPAIGN_DEVICES = 67_000
CAMPAIGN_VALUE_USD = Decimal("193000000")
CAMPAIGN_CRIMINAL_CASES = 25

# Farms stopped a few weeks before the feed ends, with their meter data, so "Power released" has a load to show:
# (region, outcome, tariff, the grid company's address, its consumer).
RECENT_CASES = (
    ("pavlodar", "voluntary_closure", "industrial", "г. Экибастуз, промзона, бывший гараж 4", "Ertis Logistic LLP"),
    ("karaganda", "operation_cancelled", "agricultural", "с. Ботакара, бывшая МТФ", "Nura Agro LLP"),
    ("abai", "voluntary_closure", "commercial", "г. Семей, ул. Аэропорт, ангар 3", "Shygys Trade LLP"),
    ("akmola", "operation_cancelled", "industrial", "г. Степногорск, промзона, цех 5", "Kokshe Metall LLP"),
)

# Licence statuses of the licensed industry, in the order firms are created.
LICENCE_PLAN = (
    ["active"] * 30
    + ["suspended"] * 3
    + ["expired"] * 3
    + ["revoked"] * 2
    + ["surrendered"] * 1
    + ["applied"] * 2
    + ["under_review"] * 2
    + ["rejected"] * 1
)

MINING_REGIONS = ["pavlodar", "karaganda", "east_kazakhstan", "akmola", "kostanay", "ulytau", "abai", "jambyl"]
ALL_REGIONS = [
    "abai",
    "akmola",
    "aktobe",
    "almaty_region",
    "atyrau",
    "east_kazakhstan",
    "jambyl",
    "jetisu",
    "karaganda",
    "kostanay",
    "kyzylorda",
    "mangystau",
    "north_kazakhstan",
    "pavlodar",
    "turkistan",
    "ulytau",
    "west_kazakhstan",
    "astana",
    "almaty",
    "shymkent",
]
GRID_OPERATORS = {
    "pavlodar": "Pavlodar Regional Grid",
    "karaganda": "Karaganda Power Networks",
    "almaty": "Almaty City Grid",
    "east_kazakhstan": "East Grid Company",
    "astana": "Astana Power Networks",
}
NAME_STEMS = [
    "Altyn",
    "Steppe",
    "Irtysh",
    "Saryarka",
    "Nomad",
    "Tengri",
    "Zhuldyz",
    "Aqsu",
    "Kokshe",
    "Ertis",
    "Shygys",
    "Balkhash",
    "Turan",
    "Orda",
    "Tulpar",
    "Aibyn",
    "Kyran",
    "Bereke",
    "Sarbaz",
    "Akzhol",
    "Qyzyl",
    "Zhetisu",
    "Alatau",
    "Burabay",
    "Esil",
    "Karatau",
    "Ulytau",
    "Tobol",
    "Nura",
    "Sayran",
]
NAME_TAILS = ["Hash", "Compute", "Data Centre", "Digital", "Mining", "Blockworks", "Energy Tech", "Cloud"]
FIRST_NAMES = [
    "Ерлан",
    "Айгерим",
    "Нурлан",
    "Динара",
    "Бауыржан",
    "Асель",
    "Серик",
    "Жанар",
    "Тимур",
    "Гульнара",
    "Арман",
    "Мадина",
    "Кайрат",
    "Сауле",
    "Данияр",
    "Алия",
    "Ержан",
    "Камила",
    "Руслан",
    "Айдана",
]
SURNAMES = [
    "Ахметов",
    "Садыков",
    "Нурпеисов",
    "Жумабаев",
    "Касымов",
    "Оспанов",
    "Бекмухамбетов",
    "Тулегенов",
    "Искаков",
    "Омаров",
    "Сейткали",
    "Абдрахманов",
    "Маратов",
    "Кенжебеков",
    "Утепов",
    "Шаримов",
]
HOUSEHOLD_STREETS = ["ул. Абая", "ул. Сатпаева", "пр. Назарбаева", "ул. Толе би", "ул. Кабанбай батыра", "мкр. Самал"]


@dataclass
class DemoSummary:
    firms: int  # licensed or applying (registered) firms
    facilities: int
    licences: int
    connections: int
    readings: int
    declarations: int
    campaign_operations: int


@dataclass
class _Profile:
    """How one connection draws power, expressed for the SQL generator."""

    connection_id: int
    meter_id: str
    base_kw: float
    amplitude: float  # daily swing around the base, 0 = flat
    noise: float  # random spread, as a fraction of the load
    peak_hour: int  # local hour of the daily peak
    gap_share: float  # share of hours with no reading (of blocks of `gap_block_hours`)
    start: dt.datetime
    # A farm's flat draw (±1 % hour to hour) on top of the cycle above, from `flat_start` (default: `start`)
    # until `flat_end` (default: the end of its readings).
    flat_kw: float = 0.0
    flat_start: dt.datetime | None = None
    flat_end: dt.datetime | None = None
    # A daily curtailment: from local hour `off_from`, for `off_hours` hours, only standby (2 %) is drawn.
    off_from: int = 0
    off_hours: int = 0
    # Readings go missing in blocks of this many hours (a modem that drops out), not hour by hour.
    gap_block_hours: int = 1
    # The readings end here rather than at the end of the feed.
    end: dt.datetime | None = None


class _Ids:
    """Deterministic valid BINs/IINs and meter ids."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.seen: set[str] = set()
        self.meters = 0

    def bin(self, kind: str = "4") -> str:
        while True:
            # BIN: YYMM of registration, then a type digit; IIN: a birth date. Both end in a check digit.
            prefix = (
                f"{self.rng.randint(0, 22):02d}{self.rng.randint(1, 12):02d}{kind}{self.rng.randint(0, 999999):06d}"
            )
            check = bin_check_digit(prefix)
            if check is not None and prefix + str(check) not in self.seen:
                self.seen.add(prefix + str(check))
                return prefix + str(check)

    def meter(self, region: str) -> str:
        self.meters += 1
        return f"{region[:3].upper()}-{self.meters:06d}"


def _operator(region: str) -> str:
    return GRID_OPERATORS.get(region, f"{region.replace('_', ' ').title()} REC")


# The steps of demo_seed, as `progress` is told of them.
SEED_STEPS = [
    _("Staff and people"),
    _("Licensed firms and their sites"),
    _("Ordinary grid connections"),
    _("The 2022 campaign"),
    _("Farms that hide"),
    _("Hourly readings"),
    _("Transformer readings"),
    _("Recent closures"),
    _("Monthly declarations"),
]


@transaction.atomic
def demo_seed(
    *,
    today: dt.date,
    connections: int = 2000,
    days: int = 30,
    months: int = 12,
    seed: int = 2022,
    progress: Callable[[int, str], None] | None = None,
) -> DemoSummary:
    """Fill an empty registry with the demo world. Takes well under a minute on 2 cores.

    `progress`, if given, is called as each of SEED_STEPS begins, with the number of steps done and its label.
    """
    steps = enumerate(SEED_STEPS)

    def step() -> None:
        done, label = next(steps)
        if progress is not None:
            progress(done, str(label))

    rng = random.Random(seed)  # nosec B311  # reproducible demo data, nothing secret
    ids = _Ids(rng)
    feed_end = dt.datetime.combine(today, dt.time.min, tzinfo=dt.UTC)
    feed_start = feed_end - dt.timedelta(days=days)
    history_start = clock.month_bounds_utc(clock.add_months(clock.month_of(today), -months))[0]

    step()
    _demo_users()
    people = _people(rng, ids, 60)
    step()
    firms, facilities, licences, profiles = _licensed_industry(rng, ids, people, today, history_start)
    step()
    # The transformers draw from a stream of their own, so the rest of the demo is the same with or without them.
    topology = random.Random(seed + 1)  # nosec B311  # reproducible demo data, nothing secret
    ordinary, losses = _ordinary_consumers(rng, ids, connections - len(profiles), feed_start, topology=topology)
    profiles += ordinary
    step()
    campaign = _campaign_2022(rng, ids, people)
    step()
    # The examples of how farms hide draw from a stream of their own too, and come last, so nothing else moves.
    hiding = random.Random(seed + 2)  # nosec B311  # reproducible demo data, nothing secret
    profiles += _hiding_examples(hiding, ids, feed_start, feed_end)
    # And so do the farms stopped in the last weeks, which come after everything else.
    stopping = random.Random(seed + 3)  # nosec B311  # reproducible demo data, nothing secret
    closures = _recent_closures(stopping, ids, today)
    step()
    readings = _generate_readings(profiles + [closure.profile for closure in closures], feed_end)
    step()
    readings += _transformer_readings(losses, _bypassed_transformer(hiding, losses, profiles))
    step()
    _recent_enforcement(closures)
    step()
    declarations = _declarations(rng, facilities, licences, today, history_start)

    firm_user = User.objects.get(username="firm")
    FirmMembership.objects.create(user=firm_user, firm=firms[0])
    return DemoSummary(
        # The licensed or applying firms; the campaign's operators are counted apart, the recent closures not at all.
        firms=Firm.objects.filter(origin=Firm.Origin.REGISTERED).count(),
        facilities=len(facilities),
        licences=len(licences),
        connections=GridConnection.objects.count(),
        readings=readings,
        declarations=declarations,
        campaign_operations=campaign,
    )


def _demo_users() -> None:
    roles_sync(Group, Permission)
    for username, group in STAFF_LOGINS.items():
        user = User.objects.create_user(username, f"{username}@minereg.demo", DEMO_PASSWORD, is_staff=True)
        user.groups.add(Group.objects.get(name=group))
        TOTPDevice.objects.create(user=user, name="demo authenticator", key=demo_totp_key().hex(), confirmed=True)
    User.objects.create_user("firm", "firm@minereg.demo", DEMO_PASSWORD)


def demo_totp_key() -> bytes:
    return base64.b32decode(DEMO_TOTP_SECRET)


def demo_totp_code() -> str:
    """The code the demo staff's authenticator would show now."""
    return f"{totp(demo_totp_key()):06d}"


def _people(rng: random.Random, ids: _Ids, count: int) -> list[Person]:
    people = []
    for number in range(1, count + 1):
        name = f"{rng.choice(SURNAMES)} {rng.choice(FIRST_NAMES)}"
        people.append(
            Person(person_id=f"P-{number:05d}", full_name=name, iin=ids.bin(kind="0"), is_pep=number % 20 == 7)
        )
    return Person.objects.bulk_create(people)


def _licensed_industry(rng, ids, people, today, history_start):
    """Firms with facilities and licences in every status, and their load profiles."""
    firms, facilities, licences, profiles = [], [], [], []
    stems = rng.sample(NAME_STEMS, len(NAME_STEMS))
    for index, status in enumerate(LICENCE_PLAN):
        region = MINING_REGIONS[index % len(MINING_REGIONS)]
        stem = stems[index % len(stems)]
        tail = NAME_TAILS[index % len(NAME_TAILS)]
        suffix = "" if index < len(stems) else f" {index // len(stems) + 1}"
        firm = Firm.objects.create(
            bin=ids.bin(),
            name=f"{stem} {tail}{suffix} LLP",
            region=region,
            address=f"{region.replace('_', ' ').title()}, industrial zone {index + 1}",
            email=f"compliance@{stem.lower()}{index + 1}.kz",
        )
        firms.append(firm)
        owners = rng.sample(people, 2)
        Ownership.objects.create(
            firm=firm, person=owners[0], role="beneficial_owner", share_percent=Decimal(rng.choice([51, 60, 75, 100]))
        )
        Ownership.objects.create(firm=firm, person=owners[1], role="director")

        site_count = 2 if index % 5 == 0 else 1
        firm_facilities = []
        for site in range(site_count):
            capacity = Decimal(rng.choice([2, 3, 5, 8, 10, 12, 15, 20, 30, 45]))
            facility = Facility.objects.create(
                ref=f"FAC-{index + 1:03d}-{site + 1}",
                firm=firm,
                name=f"{stem} site {site + 1}",
                region=region,
                address=f"{region.replace('_', ' ').title()}, substation {rng.randint(1, 90)}",
                latitude=Decimal(f"{rng.uniform(42.5, 53.5):.6f}"),
                longitude=Decimal(f"{rng.uniform(51.0, 82.0):.6f}"),
                capacity_mw=capacity,
                devices=int(capacity * 280),
            )
            firm_facilities.append(facility)
            meters = 2 if capacity >= 20 else 1
            share = float(capacity) * 1000 / meters
            load = _licensed_load_factor(status, index)
            for _meter in range(meters):
                grid = GridConnection.objects.create(
                    meter_id=ids.meter(region),
                    operator=_operator(region),
                    consumer_name=firm.name,
                    consumer_bin=firm.bin,
                    region=region,
                    address=facility.address,
                    tariff="industrial",
                    contracted_mw=capacity / meters,
                )
                FacilityConnection.objects.create(facility=facility, connection=grid)
                if load > 0:
                    profiles.append(_Profile(grid.id, grid.meter_id, share * load, 0.01, 0.03, 14, 0.0, history_start))
        facilities.extend(firm_facilities)
        licence = _licence(rng, firm, firm_facilities, status, index, today)
        licences.append(licence)
    return firms, facilities, licences, profiles


def _licensed_load_factor(status: str, index: int) -> float:
    """Share of installed capacity a site draws around the clock."""
    if status in ("applied", "under_review", "rejected") and index % 2:
        return 0.0  # waiting for a licence, switched off
    if index == 3:
        return 1.3  # draws well above its licence: OVER_CAPACITY
    return 0.82 + (index % 7) * 0.02


def _licence(rng, firm, facilities, status, index, today):
    capacity = sum(f.capacity_mw for f in facilities)
    number = valid_from = valid_until = None
    if status not in Licence.UNDATED_STATUSES:
        if status == "expired":
            valid_from = today - dt.timedelta(days=3 * 365 + 30 + index * 7)
        elif index == 1:
            valid_from = today - dt.timedelta(days=3 * 365 - 45)  # expires within 60 days
        else:
            valid_from = today - dt.timedelta(days=120 + (index * 37) % 800)
        valid_until = clock.add_years(valid_from, 3) - dt.timedelta(days=1)
        number = f"KZ-DM-{valid_from.year}-{index + 1:06d}"
    licence = Licence.objects.create(
        number=number,
        firm=firm,
        capacity_mw=capacity,
        subtype="II" if index % 6 == 5 else "I",
        valid_from=valid_from,
        valid_until=valid_until,
        status=status,
        suspended_until=today + dt.timedelta(days=60) if status == "suspended" else None,
        status_reason={
            "suspended": "Over-capacity draw confirmed by inspection",
            "revoked": "Repeated violations",
            "rejected": "Facility not connected to an exchange contract",
        }.get(status, ""),
    )
    LicenceCoverage.objects.bulk_create(LicenceCoverage(licence=licence, facility=f) for f in facilities)
    return licence


def _ordinary_consumers(
    rng: random.Random, ids: _Ids, count: int, start: dt.datetime, *, topology: random.Random
) -> tuple[list[_Profile], dict[int, Decimal]]:
    """Households, shops, farms and plants, with unlicensed mining farms hidden among them.

    Households, shops and farms hang under the grid company's transformers (see
    `_transformers`); the plants and the hidden farms are on feeders of their own.
    Return the profiles and each transformer's technical loss.
    """
    hidden = {
        # tariff: how many flat, high loads hide behind it
        "residential": 6,
        "agricultural": 4,
        "commercial": 3,
        "industrial": 1,
    }
    plan = [("hidden", tariff) for tariff, n in hidden.items() for _ in range(n)]
    rest = count - len(plan)
    plan += [
        ("ordinary", rng.choices(["residential", "commercial", "agricultural", "industrial"], [70, 15, 10, 5])[0])
        for _ in range(rest)
    ]
    rng.shuffle(plan)
    rows = []
    for _kind, tariff in plan:
        region = rng.choice(ALL_REGIONS)
        person = f"{rng.choice(SURNAMES)} {rng.choice(FIRST_NAMES)}"
        rows.append(
            GridConnection(
                meter_id=ids.meter(region),
                operator=_operator(region),
                consumer_name=person if tariff == "residential" else f"{rng.choice(NAME_STEMS)} {tariff.title()} Co",
                consumer_bin=ids.bin(kind="0" if tariff == "residential" else "4"),
                region=region,
                address=f"{rng.choice(HOUSEHOLD_STREETS)}, {rng.randint(1, 200)}",
                tariff=tariff,
            )
        )
    fed = [row for (kind, tariff), row in zip(plan, rows, strict=True) if kind == "ordinary" and tariff != "industrial"]
    losses = _transformers(topology, fed)
    created = GridConnection.objects.bulk_create(rows)
    profiles = []
    for (kind, tariff), grid in zip(plan, created, strict=True):
        if kind == "hidden":
            profiles.append(_Profile(grid.id, grid.meter_id, rng.uniform(150, 2500), 0.01, 0.03, 14, 0.0, start))
        elif tariff == "residential":
            profiles.append(
                _Profile(
                    grid.id, grid.meter_id, rng.uniform(0.3, 1.5), 0.7, 0.4, 20, rng.choice([0, 0, 0.02, 0.1]), start
                )
            )
        elif tariff == "commercial":
            profiles.append(_Profile(grid.id, grid.meter_id, rng.uniform(5, 60), 0.8, 0.2, 13, 0.0, start))
        elif tariff == "agricultural":
            profiles.append(_Profile(grid.id, grid.meter_id, rng.uniform(2, 40), 0.9, 0.3, 12, 0.05, start))
        else:
            profiles.append(_Profile(grid.id, grid.meter_id, rng.uniform(100, 1500), 0.45, 0.15, 11, 0.0, start))
    return profiles, losses


def _transformers(rng: random.Random, fed: list[GridConnection]) -> dict[int, Decimal]:
    """Put the grid company's transformer meters above `fed` (unsaved), 10 to 30 meters of one region each.

    A transformer meter (`<region>-TP-NNNN`, industrial tariff, its consumer the
    grid company) is not linked to any facility. Return each one's technical loss, 3 to 5%.
    """
    by_region: dict[str, list[GridConnection]] = {}
    for row in fed:
        by_region.setdefault(row.region, []).append(row)
    groups = []
    for region in sorted(by_region):
        members = by_region[region]
        rng.shuffle(members)
        while members:
            size = rng.randint(10, 30)
            if len(members) - size < 10:
                size = len(members)  # no transformer with a handful of meters left over
            groups.append((region, members[:size]))
            members = members[size:]
    transformers = GridConnection.objects.bulk_create(
        GridConnection(
            meter_id=f"{region[:3].upper()}-TP-{number:04d}",
            operator=_operator(region),
            consumer_name=_operator(region),
            region=region,
            address=f"Transformer substation TP-{number:04d}",
            tariff="industrial",
        )
        for number, (region, __) in enumerate(groups, start=1)
    )
    for transformer, (__, members) in zip(transformers, groups, strict=True):
        for row in members:
            row.parent = transformer
    return {transformer.id: Decimal(str(round(rng.uniform(0.03, 0.05), 4))) for transformer in transformers}


def _bypassed_transformer(rng: random.Random, losses: dict[int, Decimal], profiles: list[_Profile]) -> dict[int, float]:
    """A farm behind a bypassed meter: one transformer feeds 150-300 kW flat that none of its meters records.

    The transformer is the one whose meters report most often together (the balance is judged over the hours
    the transformer and all its meters reported). Return {transformer id: unmetered kW}.
    """
    if not losses:
        return {}
    gaps = {p.connection_id: p.gap_share for p in profiles}
    reporting = dict.fromkeys(losses, 1.0)
    for child, parent in GridConnection.objects.filter(parent_id__in=losses).values_list("id", "parent_id"):
        reporting[parent] *= 1 - gaps.get(child, 0.0)
    chosen = max(losses, key=lambda pk: (reporting[pk], -pk))
    return {chosen: round(rng.uniform(150, 300), 1)}


def _transformer_readings(losses: dict[int, Decimal], unmetered: dict[int, float]) -> int:
    """Write each transformer's hours: the sum of its meters' readings plus its technical loss, in one INSERT.

    A transformer in `unmetered` also carries that many kW (±1 %) that no meter under it records.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO registry_meterreading (connection_id, period_start, kwh)
            SELECT t.id, s.period_start,
                   round(s.kwh * (1 + t.loss)
                         + CASE WHEN t.extra > 0
                           THEN (t.extra * (1 + 0.01 * (('x' || substr(md5(tp.meter_id || ':unmetered:'
                                                                           || extract(epoch FROM s.period_start)
                                                                              ::bigint::text), 1, 8))
                                                        ::bit(32)::bigint / 4294967296.0 - 0.5) * 2))::numeric
                           ELSE 0 END, 3)
              FROM unnest(%(ids)s::bigint[], %(losses)s::numeric[], %(extra)s::float8[]) AS t(id, loss, extra)
              JOIN registry_gridconnection tp ON tp.id = t.id
              JOIN (SELECT g.parent_id, r.period_start, sum(r.kwh) AS kwh
                      FROM registry_gridconnection g
                      JOIN registry_meterreading r ON r.connection_id = g.id
                     WHERE g.parent_id = ANY(%(ids)s)
                     GROUP BY g.parent_id, r.period_start) AS s ON s.parent_id = t.id
            """,
            {"ids": list(losses), "losses": list(losses.values()), "extra": [unmetered.get(pk, 0.0) for pk in losses]},
        )
        return cursor.rowcount


def _hiding_examples(rng: random.Random, ids: _Ids, start: dt.datetime, end: dt.datetime) -> list[_Profile]:
    """One farm for each way farms hide (docs/rules.md, "Detection: how farms hide"), on meters of their own.

    A home miner, a farm split over five meters of one building, a farm curtailed every evening, one behind a
    modem that drops hours in blocks, one inside a working shop, and one that started a week ago on a small
    shop's meter (whose history goes back two months, for the step's baseline). The seventh kind, a bypassed
    meter, is an unmetered load on a transformer (`_bypassed_transformer`). None of them is under a
    transformer, and their addresses and BINs are their own, so they group with nothing else.
    """
    own = _Ids(rng)  # BINs and IINs from this stream, none of them already used
    own.seen = ids.seen

    def meter(region: str, tariff: str, address: str, consumer: str = "") -> GridConnection:
        person = f"{rng.choice(SURNAMES)} {rng.choice(FIRST_NAMES)}"
        return GridConnection.objects.create(
            meter_id=ids.meter(region),
            operator=_operator(region),
            consumer_name=consumer or person,
            consumer_bin=own.bin(kind="0" if tariff == "residential" else "4"),
            region=region,
            address=address,
            tariff=tariff,
        )

    def flat(grid: GridConnection, kw: float, gap_share: float = 0.0, **shape) -> _Profile:
        return _Profile(grid.id, grid.meter_id, kw, 0.0, 0.02, 14, gap_share, start, **shape)

    profiles = []
    # HOUSEHOLD_MINING: a flat's own evening cycle on top of a few machines drawing 8-20 kW around the clock.
    home = meter("karaganda", "residential", "ул. Ерубаева, 31, кв. 48")
    profiles.append(
        _Profile(home.id, home.meter_id, rng.uniform(0.5, 1.2), 0.7, 0.4, 20, 0.0, start, flat_kw=rng.uniform(8, 20))
    )
    # SPLIT_LOAD: five flats and offices of one building, as the grid company wrote them, 25-90 kW flat each.
    for address, tariff in (
        ("ул. Жибек Жолы, 48, кв. 3", "residential"),
        ("ул. Жибек Жолы 48 / 7", "residential"),
        ("ул. Жибек Жолы, 48, офис 12", "commercial"),
        ("Жибек Жолы ул., 48, кв 21", "residential"),
        ("ул. Жибек жолы, 48/2", "commercial"),
    ):
        profiles.append(flat(meter("almaty", tariff, address), rng.uniform(25, 90)))
    # CURTAILED_LOAD: about 0.5 MW flat, off from 18:00 to 22:00 every evening (the grid's peak).
    curtailed = meter("almaty_region", "agricultural", "с. Байтерек, бывшая птицефабрика")
    profiles.append(flat(curtailed, rng.uniform(450, 550), off_from=18, off_hours=4))
    # PATCHY_LOAD: about 0.6 MW flat behind a modem that drops 40 % of its hours, six at a time.
    patchy = meter("east_kazakhstan", "industrial", "г. Усть-Каменогорск, промзона, склад 7")
    profiles.append(flat(patchy, rng.uniform(550, 650), gap_share=0.4, gap_block_hours=6))
    # BASE_LOAD: a supermarket's daily cycle over a 150-250 kW farm in its back room.
    farm_kw = rng.uniform(150, 250)
    shop = meter("pavlodar", "commercial", "ул. Торайгырова, 64", f"{rng.choice(NAME_STEMS)} Market LLP")
    profiles.append(
        _Profile(shop.id, shop.meter_id, farm_kw * rng.uniform(0.3, 0.4), 0.8, 0.2, 13, 0.0, start, flat_kw=farm_kw)
    )
    # LOAD_STEP: a 10 kW shop that took on 150-300 kW flat 6 to 8 days ago; two months of its history.
    step = meter("kostanay", "commercial", "ул. Баймагамбетова, 115", f"{rng.choice(NAME_STEMS)} Shop LLP")
    profiles.append(
        _Profile(
            step.id,
            step.meter_id,
            rng.uniform(8, 14),
            0.8,
            0.2,
            13,
            0.0,
            min(start, end - dt.timedelta(days=62)),
            flat_kw=rng.uniform(150, 300),
            flat_start=end - dt.timedelta(hours=rng.randint(6 * 24, 8 * 24)),
        )
    )
    return profiles


def _generate_readings(profiles: list[_Profile], end: dt.datetime) -> int:
    """Write every profile's hourly readings with one set-based INSERT (no Python loop over readings)."""
    if profiles:
        readings_partitions_ensure(months_between(min(p.start for p in profiles), end))
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE demo_profile (connection_id bigint, meter_id text, base_kw float8, amplitude float8,"
            " noise float8, peak_hour int, gap_share float8, start timestamptz,"
            " flat_kw float8, flat_start timestamptz, flat_end timestamptz, off_from int, off_hours int,"
            " gap_block_hours int, end_at timestamptz) ON COMMIT DROP"
        )
        with cursor.copy("COPY demo_profile FROM STDIN") as copy:
            for p in profiles:
                copy.write_row(
                    (
                        p.connection_id,
                        p.meter_id,
                        p.base_kw,
                        p.amplitude,
                        p.noise,
                        p.peak_hour,
                        p.gap_share,
                        p.start,
                        p.flat_kw,
                        p.flat_start or p.start,
                        p.flat_end or p.end or end,
                        p.off_from,
                        p.off_hours,
                        p.gap_block_hours,
                        p.end or end,
                    )
                )
        # u1, u2, u3: reproducible uniform numbers in [0, 1) per meter and hour. u3 (the flat draw's spread) and a
        # block's gap draw count only for the profiles that have them, so the others come out as before.
        cursor.execute(
            """
            INSERT INTO registry_meterreading (connection_id, period_start, kwh)
            SELECT connection_id, hour, round(greatest(0, load)::numeric, 3)
              FROM (
                SELECT p.connection_id, h.hour,
                       (p.base_kw
                        * (1 + p.amplitude * cos(2 * pi() * (r.local_hour - p.peak_hour) / 24))
                        * (1 + p.noise * (r.u1 - 0.5) * 2)
                        + CASE WHEN p.flat_kw > 0 AND h.hour >= p.flat_start AND h.hour < p.flat_end
                               THEN p.flat_kw * (1 + 0.01 * (r.u3 - 0.5) * 2) ELSE 0 END)
                       * CASE WHEN p.off_hours > 0 AND mod((r.local_hour - p.off_from + 24)::int, 24) < p.off_hours
                              THEN 0.02 ELSE 1 END AS load,
                       CASE WHEN p.gap_block_hours > 1
                            THEN ('x' || substr(md5(p.meter_id || ':block:'
                                                    || (extract(epoch FROM h.hour)::bigint
                                                        / (3600 * p.gap_block_hours))::text), 1, 8))
                                 ::bit(32)::bigint / 4294967296.0
                            ELSE r.u2 END AS u2,
                       p.gap_share
                  FROM demo_profile p
                  CROSS JOIN LATERAL generate_series(p.start, p.end_at - interval '1 hour', interval '1 hour')
                       AS h(hour)
                  CROSS JOIN LATERAL (
                    SELECT ('x' || substr(md, 1, 8))::bit(32)::bigint / 4294967296.0 AS u1,
                           ('x' || substr(md, 9, 8))::bit(32)::bigint / 4294967296.0 AS u2,
                           ('x' || substr(md, 17, 8))::bit(32)::bigint / 4294967296.0 AS u3,
                           extract(hour FROM h.hour AT TIME ZONE 'Asia/Almaty') AS local_hour
                      FROM md5(p.meter_id || ':' || extract(epoch FROM h.hour)::bigint::text) AS md
                  ) AS r
              ) AS generated
             WHERE u2 >= gap_share
            """
        )
        return cursor.rowcount


def _declarations(rng, facilities, licences, today, history_start) -> int:
    """Twelve months of filings, built from what the meters recorded; a few under-declare or are missing."""
    licence_of = {}
    for licence in licences:
        if licence.status in ("active", "suspended"):
            for facility in licence.facilities.all():
                licence_of[facility.id] = licence
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT fc.facility_id, date_trunc('month', r.period_start AT TIME ZONE 'UTC')::date AS month,
                   sum(r.kwh) / 1000 AS mwh, max(r.kwh) / 1000 AS peak_mw
              FROM registry_facilityconnection fc
              JOIN registry_meterreading r ON r.connection_id = fc.connection_id
             WHERE fc.facility_id = ANY(%s) AND r.period_start >= %s
               AND r.period_start < date_trunc('month', %s::timestamptz AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
             GROUP BY 1, 2
            """,
            [list(licence_of), history_start, dt.datetime.combine(today, dt.time.min, tzinfo=dt.UTC)],
        )
        metered = cursor.fetchall()
    last_month = clock.previous_month(today)
    ordered = sorted(licence_of)
    under_declaring = set(ordered[2:4])
    missing_last = set(ordered[5:7])
    rows = []
    for facility_id, month, mwh, peak_mw in metered:
        licence = licence_of[facility_id]
        if licence.valid_from > month:
            continue
        if month == last_month and facility_id in missing_last:
            continue
        factor = Decimal("0.78") if facility_id in under_declaring else Decimal(str(round(rng.uniform(0.97, 1.02), 3)))
        rows.append(
            PowerDeclaration(
                facility_id=facility_id,
                month=month,
                consumed_mwh=(mwh * factor).quantize(Decimal("0.001")),
                peak_mw=peak_mw.quantize(Decimal("0.001")),
                devices=int(peak_mw * 270),
                power_source="grid_exchange",
            )
        )
    PowerDeclaration.objects.bulk_create(rows)
    return len(rows)


def _campaign_2022(rng: random.Random, ids: _Ids, people: list[Person]) -> int:
    """The 106 illegal farms stopped in 2022, with inspections and every enforcement action reported."""
    outcomes = ["voluntary_closure"] * CAMPAIGN_VOLUNTARY_CLOSURES + ["operation_cancelled"] * CAMPAIGN_CANCELLED
    rng.shuffle(outcomes)
    inspector = User.objects.get(username="inspector")
    cancelled_sites = []
    actions = []
    for number, outcome in enumerate(outcomes, start=1):
        region = rng.choice(MINING_REGIONS + ["almaty_region", "turkistan", "jetisu"])
        day = dt.date(2022, 1, 10) + dt.timedelta(days=rng.randint(0, 250))
        operator = Firm.objects.create(
            bin=ids.bin(),
            name=f"Unregistered operation #{number:03d} ({rng.choice(NAME_STEMS)})",
            region=region,
            origin="unregistered",
        )
        if number % 9 == 0:
            Ownership.objects.create(firm=operator, person=rng.choice(people), role="beneficial_owner")
        grid = GridConnection.objects.create(
            meter_id=ids.meter(region),
            operator=_operator(region),
            consumer_name=f"{rng.choice(SURNAMES)} {rng.choice(FIRST_NAMES)}",
            region=region,
            address=f"{rng.choice(['warehouse', 'former poultry farm', 'garage block', 'hangar'])}"
            f" {rng.randint(1, 60)}",
            tariff=rng.choice(["residential", "agricultural", "commercial", "industrial"]),
        )
        devices = rng.randint(150, 1100)
        inspection = Inspection.objects.create(
            connection=grid,
            firm=operator,
            date=day,
            findings="Unregistered mining equipment in operation; no notification to any authority.",
            devices_found=devices,
            outcome="illegal_operation",
        )
        inspection.inspectors.add(inspector)
        actions.append(
            EnforcementAction(
                action=outcome,
                firm=operator,
                connection=grid,
                inspection=inspection,
                region=region,
                date=day + dt.timedelta(days=rng.randint(1, 20)),
            )
        )
        if outcome == "operation_cancelled":
            cancelled_sites.append((operator, grid, inspection, region, day, devices))

    # Equipment was confiscated where operations were cancelled; the totals are the reported ones.
    weights = [site[5] for site in cancelled_sites]
    device_counts = _split(CAMPAIGN_DEVICES, weights)
    values = _split(int(CAMPAIGN_VALUE_USD), device_counts)
    sites = zip(cancelled_sites, device_counts, values, strict=True)
    for (operator, grid, inspection, region, day, _devices), devices, value in sites:
        actions.append(
            EnforcementAction(
                action="equipment_confiscated",
                firm=operator,
                connection=grid,
                inspection=inspection,
                region=region,
                date=day + dt.timedelta(days=21),
                devices=devices,
                value_usd=Decimal(value),
            )
        )
    charged = cancelled_sites[:CAMPAIGN_CRIMINAL_CASES]
    for case, (operator, grid, inspection, region, day, _devices) in enumerate(charged, 1):
        actions.append(
            EnforcementAction(
                action="criminal_case",
                firm=operator,
                connection=grid,
                inspection=inspection,
                region=region,
                date=day + dt.timedelta(days=35),
                case_number=f"22-7100-{case:04d}-UD",
            )
        )
    EnforcementAction.objects.bulk_create(actions)
    return len(outcomes)


def _split(total: int, weights: list[int]) -> list[int]:
    """Split a total into whole parts proportional to weights, summing exactly to the total."""
    weight_sum = sum(weights)
    parts = [total * w // weight_sum for w in weights]
    for i in range(total - sum(parts)):
        parts[i % len(parts)] += 1
    return parts


@dataclass
class _Closure:
    """A farm stopped a few weeks ago: its meter, how it drew power, and the dates of its case."""

    connection: GridConnection
    outcome: str
    profile: _Profile
    flagged_at: dt.datetime  # the daily detection run that raised its flag
    inspected_on: dt.date
    stopped_on: dt.date
    devices: int


def _recent_closures(rng: random.Random, ids: _Ids, today: dt.date) -> list[_Closure]:
    """Farms stopped 17 to 25 days ago, each on a meter of its own, and the way they drew power.

    A farm draws 1.5-6 MW flat (±1 %) over the site's own 8-30 kW (lights, heating, the guard's hut) from five
    to eight weeks before its flag until the day of its enforcement action; then only the site's own load is
    left. So the 30 days before the action are all metered: the load "Power released" counts. The action
    lies more than half a detection window back, so the window's typical hour is the empty site's, and
    neither the contract's rule nor a rule on how farms hide takes the old load for a farm still running.
    """
    own = _Ids(rng)  # BINs from this stream, none of them already used
    own.seen = ids.seen
    closures = []
    for region, outcome, tariff, address, consumer in RECENT_CASES:
        grid = GridConnection.objects.create(
            meter_id=ids.meter(region),
            operator=_operator(region),
            consumer_name=consumer,
            consumer_bin=own.bin(),
            region=region,
            address=address,
            tariff=tariff,
        )
        stopped_on = today - dt.timedelta(days=rng.randint(17, 25))
        inspected_on = stopped_on - dt.timedelta(days=rng.randint(1, 4))
        flagged_on = inspected_on - dt.timedelta(days=rng.randint(2, 5))
        farm_kw = rng.uniform(1500, 6000)
        profile = _Profile(
            grid.id,
            grid.meter_id,
            rng.uniform(8, 30),
            0.4,
            0.15,
            20,
            0.0,
            clock.day_start(flagged_on) - dt.timedelta(days=rng.randint(35, 56)),
            flat_kw=farm_kw,
            # Switched off during the action's day (registry zone), after the day "Power released" measures up to.
            flat_end=clock.day_start(stopped_on) + dt.timedelta(hours=rng.randint(9, 15)),
        )
        closures.append(
            _Closure(
                connection=grid,
                outcome=outcome,
                profile=profile,
                flagged_at=clock.day_start(flagged_on) + dt.timedelta(hours=2),  # the daily run, 02:00
                inspected_on=inspected_on,
                stopped_on=stopped_on,
                devices=int(farm_kw / rng.uniform(3.0, 3.4)),  # 3.0-3.4 kW a machine
            )
        )
    return closures


def _recent_enforcement(closures: list[_Closure]) -> None:
    """Take each recent farm through the regulator's workflow: flagged, assigned, inspected, found illegal, stopped.

    The assignment, the visit and its outcome go through the services the admin calls: the outcome names the
    operator (an unregistered firm, from the consumer's BIN) and confirms the flag. Then the records' own
    times are set back to the case's days, where the queue, the flag chart and the history place them.
    """
    inspector = User.objects.get(username="inspector")
    thresholds = thresholds_current()
    for closure in closures:
        flag = _flag_raised(closure, thresholds)
        assigned_at = closure.flagged_at + dt.timedelta(hours=8)  # the regulator's morning
        flag_assign(flag=flag, inspector=inspector)
        inspection = flag_schedule_inspection(flag=flag, date=closure.inspected_on, inspectors=[inspector])
        inspection.outcome = Inspection.Outcome.ILLEGAL_OPERATION
        inspection.devices_found = closure.devices
        inspection.findings = (
            f"{closure.devices} mining machines running around the clock; no notification to any authority."
        )
        inspection.save(update_fields=["outcome", "devices_found", "findings"])
        inspection = inspection_recorded(inspection=inspection)
        action = EnforcementAction.objects.create(
            action=closure.outcome,
            firm=inspection.firm,
            connection=closure.connection,
            inspection=inspection,
            region=closure.connection.region,
            date=closure.stopped_on,
        )
        decided_at = clock.day_start(closure.inspected_on) + dt.timedelta(hours=17)
        Flag.objects.filter(pk=flag.pk).update(
            created_at=closure.flagged_at, updated_at=decided_at, decided_at=decided_at
        )
        Inspection.objects.filter(pk=inspection.pk).update(created_at=assigned_at)
        EnforcementAction.objects.filter(pk=action.pk).update(
            created_at=clock.day_start(closure.stopped_on) + dt.timedelta(hours=16)
        )


def _flag_raised(closure: _Closure, t: rules.Thresholds) -> Flag:
    """The UNLICENSED_MINING flag the daily detection run raised on the farm's readings, as detection writes it."""
    grid, end = closure.connection, closure.flagged_at
    start = end - dt.timedelta(days=t.window_days)
    subject = series.Subject(key=grid.meter_id, members=((grid.id, 1),))
    shape = series.series_stats(start=start, end=end, subjects=[subject])[grid.meter_id]
    load = rules.Load(shape.hours, shape.window_hours, shape.kwh_total, shape.kwh_peak)
    finding = rules.unlicensed_mining(
        rules.ConnectionLoad(grid.id, grid.meter_id, grid.tariff, load, grid.region, grid.address, grid.consumer_bin),
        t,
        shape,
    )
    if finding is None:
        raise ValueError(f"Detection would not flag the demo farm on {grid.meter_id}.")
    flag = Flag.objects.create(
        rule=finding.rule,
        severity=finding.severity,
        subject_type=finding.subject_type,
        subject_ref=finding.subject_ref,
        connection=grid,
        evidence=finding.evidence,
        window_start=start,
        window_end=end,
    )
    FlagMeter.objects.bulk_create(FlagMeter(flag=flag, connection_id=pk, role=role) for pk, role in finding.meters)
    return flag
