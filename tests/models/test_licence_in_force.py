""" "A licence in force" is one rule in three forms (model method, ORM condition, SQL fragment) that agree."""

import datetime as dt
from decimal import Decimal

from django.db import connection

from registry.models import Licence, licence_in_force, licence_in_force_sql


def test_the_method_the_query_and_the_sql_agree_on_every_day(firm_a):
    for number, status, valid_from, valid_until in [
        ("KZ-1", "active", dt.date(2026, 1, 1), dt.date(2026, 1, 31)),
        ("KZ-2", "suspended", dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
        ("KZ-3", "expired", dt.date(2025, 1, 1), dt.date(2025, 12, 31)),
        ("KZ-4", "active", dt.date(2026, 1, 31), dt.date(2026, 1, 31)),
        ("KZ-5", "revoked", dt.date(2026, 1, 1), dt.date(2026, 6, 30)),
    ]:
        Licence.objects.create(
            number=number,
            firm=firm_a,
            capacity_mw=Decimal(1),
            status=status,
            valid_from=valid_from,
            valid_until=valid_until,
        )
    Licence.objects.create(firm=firm_a, capacity_mw=Decimal(1), status="applied")
    licences = list(Licence.objects.all())

    for day in (dt.date(2025, 12, 31), dt.date(2026, 1, 1), dt.date(2026, 1, 30), dt.date(2026, 1, 31),
                dt.date(2026, 2, 1), dt.date(2026, 12, 31), dt.date(2027, 1, 1)):  # fmt: skip
        by_method = {licence.pk for licence in licences if licence.is_in_force(day)}
        by_query = set(Licence.objects.filter(licence_in_force(day)).values_list("pk", flat=True))
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id FROM registry_licence l WHERE {licence_in_force_sql('l')}", {"day": day})
            by_sql = {pk for (pk,) in cursor.fetchall()}
        assert by_method == by_query == by_sql, day

    in_force_on_31_january = Licence.objects.filter(licence_in_force(dt.date(2026, 1, 31)))
    assert sorted(in_force_on_31_january.values_list("number", flat=True)) == ["KZ-1", "KZ-4", "KZ-DM-2024-000001"]
