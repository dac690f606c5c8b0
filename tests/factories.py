"""Test data: one factory per model, with realistic defaults a test overrides by keyword.

`FirmFactory()` saves a row; `FirmFactory.build()` makes one without saving. Identifiers (BINs, meter ids,
facility references, licence numbers, usernames) come from sequences, so two rows never collide. The shared
cast (a regulator, an inspector, an auditor, firm A licensed, firm B not) is built from these in conftest.py.
"""

import datetime as dt
import itertools
from decimal import Decimal

import factory
from django.contrib.auth.models import Group, Permission, User
from factory.django import DjangoModelFactory, Password

from registry.models import (
    EnforcementAction,
    Facility,
    Firm,
    FirmMembership,
    Flag,
    GridConnection,
    GridOperatorAccount,
    Inspection,
    Licence,
    Ownership,
    Person,
    PowerDeclaration,
)
from registry.roles import roles_sync
from registry.validators import bin_check_digit

# Firm A's and firm B's BINs (conftest.py), for tests that look the cast up; BIN_C is valid and belongs to no
# cast firm, for an operator a test registers.
BIN_A = "291417776310"
BIN_B = "706690743916"
BIN_C = "500080636080"

# When a test does not care about a flag's window: 30 days ending on a fixed instant, never now().
WINDOW_END = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
WINDOW_DAYS = 30

_serials = itertools.count(1)


def bin_from(first_eleven: str) -> str:
    """A valid BIN/IIN: the eleven digits given and their check digit."""
    check = bin_check_digit(first_eleven)
    assert check is not None, f"{first_eleven} has no check digit"
    return f"{first_eleven}{check}"


def new_bin() -> str:
    """A valid BIN/IIN that no other call returned (and no fixed BIN in the tests has: they never start with 9)."""
    while True:
        first_eleven = f"9{next(_serials):010d}"
        if bin_check_digit(first_eleven) is not None:
            return bin_from(first_eleven)


class _Factory(DjangoModelFactory):
    class Meta:
        abstract = True
        # Hooks add related rows themselves; saving the row again would only write one more audit event.
        skip_postgeneration_save = True


# People


class UserFactory(_Factory):
    """A user with the password "pass"; `group="auditors"` puts them in one of the staff groups."""

    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.test")
    password = Password("pass")

    @factory.post_generation
    def group(user, create, name, **kwargs):
        if create and name:
            # The groups come from a data migration; a transactional test's flush removes them, so make sure.
            roles_sync(Group, Permission)
            user.groups.add(Group.objects.get(name=name))


class StaffFactory(UserFactory):
    """A member of the regulator's staff: `StaffFactory(group="inspectors")` gives them a role."""

    email = factory.LazyAttribute(lambda user: f"{user.username}@regulator.test")
    is_staff = True


class FirmUserFactory(UserFactory):
    """A portal user acting for `firm`."""

    @factory.post_generation
    def firm(user, create, firm, **kwargs):
        if create and firm is not None:
            FirmMembership.objects.create(user=user, firm=firm)


class GridOperatorFactory(UserFactory):
    """A grid company's system account, which pushes readings for the `operator`'s meters."""

    @factory.post_generation
    def operator(user, create, operator, **kwargs):
        if create:
            GridOperatorAccount.objects.create(user=user, operator=operator or "Pavlodar REC")


# Firms and their owners


class FirmFactory(_Factory):
    class Meta:
        model = Firm

    bin = factory.LazyFunction(new_bin)
    name = factory.Sequence(lambda n: f"Firm {n} LLP")
    region = "pavlodar"


class PersonFactory(_Factory):
    class Meta:
        model = Person

    person_id = factory.Sequence(lambda n: f"P-{n:04d}")
    full_name = factory.Sequence(lambda n: f"Owner {n}")


class OwnershipFactory(_Factory):
    class Meta:
        model = Ownership

    firm = factory.SubFactory(FirmFactory)
    person = factory.SubFactory(PersonFactory)


# The grid and the sites on it


class GridConnectionFactory(_Factory):
    class Meta:
        model = GridConnection

    meter_id = factory.Sequence(lambda n: f"MTR-{n:05d}")
    operator = "Pavlodar REC"
    region = "pavlodar"
    tariff = "industrial"


class FacilityFactory(_Factory):
    """A firm's site; `FacilityFactory(connections=[meter, ...])` puts it on those meters."""

    class Meta:
        model = Facility

    ref = factory.Sequence(lambda n: f"FAC-{n:04d}")
    firm = factory.SubFactory(FirmFactory)
    name = factory.LazyAttribute(lambda site: f"Site {site.ref}")
    region = factory.LazyAttribute(lambda site: site.firm.region)
    capacity_mw = Decimal("10")

    @factory.post_generation
    def connections(site, create, meters, **kwargs):
        if create and meters:
            site.connections.add(*meters)


# Licences and declarations


class LicenceFactory(_Factory):
    """An active licence over 2024–2026, or an undated application (`status="applied"`).

    `LicenceFactory(facilities=[site, ...])` covers those facilities.
    """

    class Meta:
        model = Licence

    class Params:
        dated = factory.LazyAttribute(lambda licence: licence.status not in Licence.UNDATED_STATUSES)

    number = factory.Maybe("dated", factory.Sequence(lambda n: f"KZ-DM-2024-{n + 500000:06d}"), None)
    firm = factory.SubFactory(FirmFactory)
    capacity_mw = Decimal("10")
    status = Licence.Status.ACTIVE
    valid_from = factory.Maybe("dated", dt.date(2024, 1, 1), None)
    valid_until = factory.Maybe("dated", dt.date(2026, 12, 31), None)

    @factory.post_generation
    def facilities(licence, create, sites, **kwargs):
        if create and sites:
            licence.facilities.add(*sites)


class PowerDeclarationFactory(_Factory):
    class Meta:
        model = PowerDeclaration

    facility = factory.SubFactory(FacilityFactory)
    month = dt.date(2026, 9, 1)
    consumed_mwh = Decimal("1200")


# Oversight


def _subject_type(flag) -> str:
    """What a flag is about, from the one subject it was given (a facility flag may also name its firm)."""
    for subject_type in ("connection", "facility", "licence", "firm"):
        if getattr(flag, subject_type) is not None:
            return subject_type
    raise ValueError("a flag needs a subject: connection=, facility=, licence= or firm= (or subject_type/subject_ref)")


def _subject_ref(flag) -> str:
    """How detection names the subject: meter id, facility reference, licence number or BIN."""
    attribute = {"connection": "meter_id", "facility": "ref", "licence": "number", "firm": "bin"}[flag.subject_type]
    return getattr(getattr(flag, flag.subject_type), attribute)


class FlagFactory(_Factory):
    """An open, high NO_VALID_LICENCE flag on the subject given, over the 30 days to WINDOW_END.

    Subject type and reference follow the subject: `FlagFactory(connection=meter)` is about the meter's id.
    """

    class Meta:
        model = Flag

    rule = Flag.Rule.NO_VALID_LICENCE
    severity = Flag.Severity.HIGH
    connection = None
    facility = None
    licence = None
    firm = None
    subject_type = factory.LazyAttribute(_subject_type)
    subject_ref = factory.LazyAttribute(_subject_ref)
    window_end = WINDOW_END
    window_start = factory.LazyAttribute(lambda flag: flag.window_end - dt.timedelta(days=WINDOW_DAYS))


class InspectionFactory(_Factory):
    """A compliant visit; give it a site (`facility=` or `connection=`): the database refuses one without."""

    class Meta:
        model = Inspection

    date = dt.date(2026, 10, 5)
    outcome = Inspection.Outcome.COMPLIANT


class EnforcementActionFactory(_Factory):
    """A fine of 1.5 million tenge on a firm, in the region of the site it names (or of the firm)."""

    class Meta:
        model = EnforcementAction

    action = EnforcementAction.Action.FINE
    firm = factory.SubFactory(FirmFactory)
    facility = None
    connection = None
    region = factory.LazyAttribute(lambda act: (act.facility or act.connection or act.firm).region)
    date = dt.date(2026, 10, 20)
    fine_kzt = factory.Maybe(
        factory.LazyAttribute(lambda act: act.action == EnforcementAction.Action.FINE), Decimal("1500000"), None
    )


class FlagMeterFactory(_Factory):
    """A meter whose readings made a flag: `FlagMeterFactory(flag=flag, connection=meter, role="member")`."""

    class Meta:
        model = "registry.FlagMeter"

    flag = factory.SubFactory(FlagFactory, connection=factory.SubFactory(GridConnectionFactory))
    connection = factory.SubFactory(GridConnectionFactory)
    role = "subject"
