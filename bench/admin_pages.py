#!/usr/bin/env python
"""Benchmark: every registry admin page at full volume — server time and query count, against 500 ms.

    .venv/bin/python bench/admin_pages.py            # load, measure, drop
    .venv/bin/python bench/admin_pages.py --keep     # keep minereg_bench_admin afterwards
    .venv/bin/python bench/admin_pages.py --reuse    # measure a kept database again, without loading

It works in a database of its own (`minereg_bench_admin`, recreated each
run) on the configured server (DATABASE_URL, or the embedded one), migrated
by `manage.py migrate`, and loads with set-based SQL only (INSERT … SELECT
over generate_series): 100,000 grid connections over every region and
tariff; 2,000 firms with 10,000 facilities (one or two connections each);
licences in every status for 90% of the facilities, one live licence per
facility; 50,000 flags of every rule, status and severity, with the meters
each names (as detection records them); inspections, enforcement actions,
declarations, owners, portal and staff users; and 10,080,000 hourly readings
(14,000 connections × 30 days, up to today).

Then `bench/measure_admin_pages.py`, in a process of its own with
DATABASE_URL pointing at that database, logs in as a regulator through both
steps (password, then the code of the authenticator it enrols for the
bench's own user) and opens each registered registry admin's changelist
(first page, page 50, a search, the legal-status filters, the flag queue's
open+high filter), one change page each, the autocomplete lookups over the
big tables and the dashboard: the median server time of 3 requests after a
warm-up, the status (a 200 must be the page itself, not the login or code
page) and the number of queries. The dashboard is also opened with its
figures recomputed for every request, as the first visitor after its cache
expires sees it; that row is reported but outside the budget.

Targets (issue #4 item 7): every page < 500 ms with a bounded number of
queries; no full dropdown (a <select> of more than 100 options) where a
foreign key could use autocomplete or a raw id (the <select> column counts
relations' dropdowns only, not lists of choices such as time zones). For each page over the
limit, the plan of its slowest query (EXPLAIN ANALYZE, BUFFERS) is written
to bench/out/admin_pages_plans.txt. The command exits 1 when any page in
the budget is over the limit, answers an unexpected status or shows a full
dropdown.
"""

import argparse
import datetime as dt
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from ingest_detect import server_url  # noqa: E402  (after the path is set)
from partitions import make_partitions  # noqa: E402

OUT = ROOT / "bench" / "out"
PLANS = OUT / "admin_pages_plans.txt"
BENCH_DB = "minereg_bench_admin"
MEASURE = ROOT / "bench" / "measure_admin_pages.py"
LIMIT_MS = 500

CONNECTIONS = 100_000
FIRMS = 2_000
FACILITIES = 10_000  # facility n feeds from connection n; even facilities also from connection 10,000 + n/2
PERSONS = 3_000
STAFF_INSPECTORS = 20
READING_DAYS = 30
# Connections whose number is a multiple of 7, up to 98,000: 14,000 meters × 720 hours = 10,080,000 readings.
READING_EVERY = 7
READING_LAST = 98_000
# Flags per rule; subjects are distinct within a rule (and month), so the live-flag constraint always holds.
UNLICENSED_FLAGS = 20_000  # connections 15,001–35,000: no facility lists them
NO_LICENCE_FLAGS = 6_000
OVER_CAPACITY_FLAGS = 4_000
UNDER_DECLARED_FACILITIES = 4_000  # × 2 months
MISSING_DECLARATION_FACILITIES = 5_000  # × 2 months
INSPECTIONS = 2_000

# Columns other work may add with a Python-side default: filled when present.
WHEN_PRESENT = {
    ("registry_firm", "verification"): "'verified'",
    ("registry_powerdeclaration", "review"): "'filed'",
}
# Any other NOT NULL column without a database default gets its type's empty value.
EMPTY = {
    "character varying": "''",
    "text": "''",
    "ARRAY": "'{}'",
    "jsonb": "'{}'::jsonb",
    "boolean": "false",
    "smallint": "0",
    "integer": "0",
    "bigint": "0",
    "numeric": "0",
    "timestamp with time zone": "now()",
    "date": "CURRENT_DATE",
}


# Loading


def migrate(url: str) -> None:
    env = {**os.environ, "DATABASE_URL": url + BENCH_DB, "DEBUG": "0", "LOG_LEVEL": "WARNING"}
    done = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"manage.py migrate failed:\n{done.stdout}\n{done.stderr}")


def insert(conn: psycopg.Connection, table: str, columns: dict[str, str], source: str, params: dict) -> int:
    """INSERT INTO table (columns) SELECT expressions <source>; return the rows inserted.

    NOT NULL columns the caller does not name (fields added since this was
    written, with a default Django sets in Python) get WHEN_PRESENT's value or
    their type's empty value, so the load keeps working as models grow.
    """
    required = conn.execute(
        "SELECT column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = 'public' AND table_name = %s AND is_nullable = 'NO'"
        " AND column_default IS NULL AND is_identity = 'NO'",
        [table],
    ).fetchall()
    columns = dict(columns)
    for name, data_type in required:
        if name not in columns:
            columns[name] = WHEN_PRESENT.get((table, name)) or EMPTY[data_type]
    names = ", ".join(columns)
    expressions = ",\n       ".join(columns.values())
    return conn.execute(f"INSERT INTO {table} ({names})\nSELECT {expressions}\n{source}", params).rowcount


def load_people(conn, p) -> int:
    """Staff (the regulator, inspectors), one portal user per firm, one system account per grid operator."""
    rows = insert(
        conn,
        "auth_user",
        {
            "password": "'!'",
            "is_superuser": "false",
            "username": "u.username",
            "first_name": "u.first_name",
            "last_name": "''",
            "email": "u.username || '@bench.example'",
            "is_staff": "u.is_staff",
            "is_active": "true",
            "date_joined": "now()",
        },
        """
        FROM (SELECT 'bench_regulator' AS username, 'Rita' AS first_name, true AS is_staff
              UNION ALL
              SELECT 'inspector' || lpad(i::text, 2, '0'), 'Inspector ' || i, true
                FROM generate_series(1, %(inspectors)s) i
              UNION ALL
              SELECT 'firm' || lpad(i::text, 4, '0'), 'Firm user ' || i, false FROM generate_series(1, %(firms)s) i
              UNION ALL
              SELECT 'grid_' || r, 'Grid operator', false FROM unnest(%(regions)s::text[]) r) u
    """,
        p,
    )
    conn.execute("""
        INSERT INTO auth_user_groups (user_id, group_id)
        SELECT u.id, g.id FROM auth_user u
          JOIN auth_group g ON g.name = CASE WHEN u.username = 'bench_regulator' THEN 'regulators'
                                             WHEN starts_with(u.username, 'inspector') THEN 'inspectors' END
    """)
    rows += insert(
        conn,
        "registry_person",
        {
            "person_id": "'P-' || lpad(n::text, 5, '0')",
            "full_name": "(%(surnames)s::text[])[1 + mod(n, 12)] || ' ' || (%(names)s::text[])[1 + mod(n / 12, 10)]"
            " || ' ' || (%(names)s::text[])[1 + mod(n / 120, 10)] || 'ovich'",
            "iin": "CASE WHEN mod(n, 3) = 0 THEN '' ELSE (800000000000 + n)::text END",
            "is_pep": "mod(n, 50) = 0",
        },
        "FROM generate_series(1, %(persons)s) n",
        p,
    )
    return rows


def load_grid(conn, p) -> int:
    return insert(
        conn,
        "registry_gridconnection",
        {
            "meter_id": "'M-' || lpad(n::text, 7, '0')",
            "operator": "'REC ' || region",
            "consumer_name": "(%(surnames)s::text[])[1 + mod(n, 12)] || ' consumer ' || n",
            "consumer_bin": "CASE WHEN mod(n, 3) = 0 THEN (700000000000 + n)::text ELSE '' END",
            "region": "region",
            "address": "'Street ' || mod(n, 500) || ', ' || mod(n, 97)",
            "tariff": "(%(tariffs)s::text[])[1 + mod(n / 20, cardinality(%(tariffs)s::text[]))]",
            "contracted_mw": "CASE WHEN mod(n, 4) = 0 THEN mod(n, 50) / 10.0 + 0.1 END",
        },
        """
        FROM (SELECT n, (%(regions)s::text[])[1 + mod(n, cardinality(%(regions)s::text[]))] AS region
                FROM generate_series(1, %(connections)s) n) s
    """,
        p,
    )


def load_firms(conn, p) -> int:
    rows = insert(
        conn,
        "registry_firm",
        {
            "bin": "(100000000000 + n)::text",
            "name": "(%(words)s::text[])[1 + mod(n, 12)] || ' ' || (%(words2)s::text[])[1 + mod(n / 12, 8)] || ' '"
            " || n || ' LLP'",
            "region": "(%(regions)s::text[])[1 + mod(n, cardinality(%(regions)s::text[]))]",
            "address": "'Avenue ' || mod(n, 300)",
            "email": "'office@firm' || n || '.kz'",
            "origin": "CASE WHEN mod(n, 20) = 0 THEN 'unregistered' ELSE 'registered' END",
            "created_at": "now() - make_interval(days => mod(n * 37, 1500))",
            "updated_at": "now() - make_interval(days => mod(n * 37, 1500))",
        },
        "FROM generate_series(1, %(firms)s) n",
        p,
    )
    rows += insert(
        conn,
        "registry_ownership",
        {
            "firm_id": "f.id",
            "person_id": "ps.id",
            "role": "o.role",
            "share_percent": "o.share",
            "filed_full_name": "ps.full_name",
            "filed_is_pep": "ps.is_pep",
        },
        """
        FROM (SELECT n AS firm_n, 1 + mod(n * 7, %(persons)s) AS person_n, 'beneficial_owner' AS role,
                     CASE WHEN mod(n, 2) = 0 THEN 51 ELSE 100 END AS share
                FROM generate_series(1, %(firms)s) n
              UNION ALL
              SELECT n, 1 + mod(n * 11 + 1, %(persons)s), 'director', NULL
                FROM generate_series(2, %(firms)s, 2) n) o
        JOIN registry_firm f ON f.bin = (100000000000 + o.firm_n)::text
        JOIN registry_person ps ON ps.person_id = 'P-' || lpad(o.person_n::text, 5, '0')
    """,
        p,
    )
    rows += insert(
        conn,
        "registry_firmmembership",
        {"user_id": "u.id", "firm_id": "f.id"},
        """
        FROM registry_firm f
        JOIN auth_user u ON u.username = 'firm' || lpad((f.bin::bigint - 100000000000)::text, 4, '0')
    """,
        p,
    )
    rows += insert(
        conn,
        "registry_gridoperatoraccount",
        {"user_id": "u.id", "operator": "'REC ' || substr(u.username, 6)"},
        "FROM auth_user u WHERE starts_with(u.username, 'grid_')",
        p,
    )
    return rows


def load_facilities(conn, p) -> int:
    rows = insert(
        conn,
        "registry_facility",
        {
            "ref": "'FAC-' || lpad(n::text, 6, '0')",
            "firm_id": "f.id",
            "name": "'Data centre ' || n",
            "region": "c.region",
            "address": "c.address",
            "latitude": "40 + mod(n, 1500) / 100.0",
            "longitude": "50 + mod(n * 7, 3500) / 100.0",
            "capacity_mw": "1.5 + mod(n, 40)",
            "devices": "100 + mod(n, 40) * 250",
            "created_at": "f.created_at",
            "updated_at": "f.created_at",
        },
        """
        FROM generate_series(1, %(facilities)s) n
        JOIN registry_firm f ON f.bin = (100000000000 + 1 + mod(n - 1, %(firms)s))::text
        JOIN registry_gridconnection c ON c.meter_id = 'M-' || lpad(n::text, 7, '0')
    """,
        p,
    )
    rows += insert(
        conn,
        "registry_facilityconnection",
        {"facility_id": "f.id", "connection_id": "c.id"},
        """
        FROM (SELECT n AS facility_n, n AS connection_n FROM generate_series(1, %(facilities)s) n
              UNION ALL
              SELECT n, %(facilities)s + n / 2 FROM generate_series(2, %(facilities)s, 2) n) fc
        JOIN registry_facility f ON f.ref = 'FAC-' || lpad(fc.facility_n::text, 6, '0')
        JOIN registry_gridconnection c ON c.meter_id = 'M-' || lpad(fc.connection_n::text, 7, '0')
    """,
        p,
    )
    return rows


def load_licences(conn, p) -> int:
    """One licence for 90% of the facilities, in every status, and an old expired one for every fifth.

    By the facility's number mod 20: 0–9 active and in force, 10 active but
    past its end date, 11 suspended, 12 revoked, 13 expired, 14 surrendered,
    15 applied, 16 under review, 17 rejected, 18–19 none. Only active and
    suspended licences hold their facility, so no facility has two live ones.
    """
    conn.execute("DROP TABLE IF EXISTS bench_licence")
    conn.execute(
        """
        CREATE TEMP TABLE bench_licence AS
        SELECT nextval(pg_get_serial_sequence('registry_licence', 'id')) AS id, s.*,
               CASE WHEN s.kind IN ('applied', 'under_review', 'rejected') THEN NULL
                    WHEN s.kind = 'historic' THEN DATE '2019-01-01' + mod(s.n, 300)
                    WHEN s.kind IN ('lapsed', 'expired') THEN %(today)s::date - 1100 - mod(s.n, 200)
                    ELSE %(today)s::date - mod(s.n * 13, 900) END AS valid_from
          FROM (SELECT f.id AS facility_id, f.firm_id, f.capacity_mw, substr(f.ref, 5)::int AS n,
                       (ARRAY['active', 'active', 'active', 'active', 'active', 'active', 'active', 'active', 'active',
                              'active', 'lapsed', 'suspended', 'revoked', 'expired', 'surrendered', 'applied',
                              'under_review', 'rejected', NULL, NULL])[1 + mod(substr(f.ref, 5)::int, 20)] AS kind
                  FROM registry_facility f
                UNION ALL
                SELECT f.id, f.firm_id, f.capacity_mw, substr(f.ref, 5)::int, 'historic'
                  FROM registry_facility f WHERE mod(substr(f.ref, 5)::int, 5) = 0) s
         WHERE s.kind IS NOT NULL
    """,
        p,
    )
    rows = insert(
        conn,
        "registry_licence",
        {
            "id": "l.id",
            "number": "CASE WHEN l.valid_from IS NOT NULL THEN 'KZ-DM-' || to_char(l.valid_from, 'YYYY') || '-'"
            " || lpad(l.n::text, 5, '0') || CASE WHEN l.kind = 'historic' THEN '-H' ELSE '' END END",
            "firm_id": "l.firm_id",
            "capacity_mw": "CASE WHEN mod(l.n, 7) = 0 THEN l.capacity_mw * 0.8 ELSE l.capacity_mw END",
            "subtype": "CASE WHEN mod(l.n, 4) = 0 THEN 'II' ELSE 'I' END",
            "valid_from": "l.valid_from",
            "valid_until": "l.valid_from + interval '3 years' - interval '1 day'",
            "status": "CASE l.kind WHEN 'lapsed' THEN 'active' WHEN 'historic' THEN 'expired' ELSE l.kind END",
            "status_reason": (
                "CASE WHEN l.kind IN ('suspended', 'revoked', 'rejected') THEN 'Bench decision' ELSE '' END"
            ),
            "suspended_until": "CASE WHEN l.kind = 'suspended' THEN %(today)s::date + 30 + mod(l.n, 60) END",
            "created_at": "coalesce(l.valid_from - 30, %(today)s::date - mod(l.n, 200))::timestamptz",
            "updated_at": "coalesce(l.valid_from - 30, %(today)s::date - mod(l.n, 200))::timestamptz",
        },
        "FROM bench_licence l",
        p,
    )
    # The coverage trigger copies the licence's period and whether it holds the facility.
    rows += insert(
        conn,
        "registry_licencecoverage",
        {"licence_id": "id", "facility_id": "facility_id", "holds": "false"},
        "FROM bench_licence",
        p,
    )
    return rows


def load_flags(conn, p) -> int:
    """50,000 flags: each rule on its own kind of subject, statuses and created times spread by a hash."""
    conn.execute("DROP TABLE IF EXISTS bench_flag")
    conn.execute(
        """
        CREATE TEMP TABLE bench_flag AS
        SELECT row_number() OVER () AS k, s.* FROM (
            SELECT 'UNLICENSED_MINING' AS rule, 'connection' AS subject_type, c.meter_id AS subject_ref,
                   c.id AS connection_id, NULL::bigint AS facility_id, NULL::bigint AS licence_id,
                   NULL::bigint AS firm_id, NULL::date AS month, c.tariff
              FROM generate_series(15001, 15000 + %(unlicensed)s) n
              JOIN registry_gridconnection c ON c.meter_id = 'M-' || lpad(n::text, 7, '0')
            UNION ALL
            SELECT 'NO_VALID_LICENCE', 'facility', f.ref, NULL, f.id, NULL, f.firm_id, NULL, NULL
              FROM generate_series(0, %(no_licence)s - 1) k
              JOIN registry_facility f ON f.ref = 'FAC-' || lpad((1 + mod(k * 7919, %(facilities)s))::text, 6, '0')
            UNION ALL
            SELECT 'OVER_CAPACITY', 'licence', l.number, NULL, NULL, l.id, l.firm_id, NULL, NULL
              FROM (SELECT id, number, firm_id FROM registry_licence WHERE status IN ('active', 'suspended')
                     ORDER BY id LIMIT %(over_capacity)s) l
            UNION ALL
            SELECT 'UNDER_DECLARED', 'facility', f.ref, NULL, f.id, NULL, f.firm_id,
                   (date_trunc('month', %(today)s::date) - make_interval(months => m))::date, NULL
              FROM generate_series(0, %(under_declared)s - 1) k CROSS JOIN generate_series(1, 2) m
              JOIN registry_facility f ON f.ref = 'FAC-' || lpad((1 + mod(k * 3001, %(facilities)s))::text, 6, '0')
            UNION ALL
            SELECT 'MISSING_DECLARATION', 'facility', f.ref, NULL, f.id, NULL, f.firm_id,
                   (date_trunc('month', %(today)s::date) - make_interval(months => m))::date, NULL
              FROM generate_series(0, %(missing)s - 1) k CROSS JOIN generate_series(2, 3) m
              JOIN registry_facility f ON f.ref = 'FAC-' || lpad((1 + mod(k * 6007, %(facilities)s))::text, 6, '0')
            UNION ALL
            SELECT 'RELATED_PARTY', 'firm', f.bin, NULL, NULL, NULL, f.id, NULL, NULL FROM registry_firm f
        ) s
    """,
        p,
    )
    conn.execute("""
        ALTER TABLE bench_flag ADD COLUMN h1 bigint, ADD COLUMN h2 bigint, ADD COLUMN h3 bigint;
        UPDATE bench_flag SET h1 = hashint4(k::int * 3)::bigint + 2147483648,
                              h2 = hashint4(k::int * 3 + 1)::bigint + 2147483648,
                              h3 = hashint4(k::int * 3 + 2)::bigint + 2147483648
    """)
    created = "now() - make_interval(mins => mod(b.h3, 90 * 24 * 60)::int)"
    rows = insert(
        conn,
        "registry_flag",
        {
            "rule": "s.rule",
            "severity": """CASE s.rule WHEN 'UNLICENSED_MINING'
                                        THEN CASE WHEN mod(s.h1, 3) = 0 THEN 'high' ELSE 'medium' END
                                   WHEN 'NO_VALID_LICENCE' THEN 'high'
                                   WHEN 'OVER_CAPACITY' THEN CASE WHEN mod(s.h1, 2) = 0 THEN 'high' ELSE 'medium' END
                                   WHEN 'UNDER_DECLARED' THEN 'medium' ELSE 'low' END""",
            "status": "s.status",
            "subject_type": "s.subject_type",
            "subject_ref": "s.subject_ref",
            "connection_id": "s.connection_id",
            "facility_id": "s.facility_id",
            "licence_id": "s.licence_id",
            "firm_id": "s.firm_id",
            "month": "s.month",
            "window_start": "coalesce(s.month::timestamptz, date_trunc('day', s.created_at) - interval '30 days')",
            "window_end": "coalesce((s.month + interval '1 month')::timestamptz, date_trunc('day', s.created_at))",
            "evidence": """CASE WHEN s.month IS NOT NULL THEN jsonb_build_object(
                               'month', to_char(s.month, 'YYYY-MM'), 'declared_mwh', 800 + mod(s.h1, 900),
                               'metered_mwh', 1800 + mod(s.h2, 900), 'declared_to_metered', 0.5)
                            WHEN s.rule = 'RELATED_PARTY' THEN jsonb_build_object('shared_owners', jsonb_build_array(
                               jsonb_build_object('person_id', 'P-00001', 'full_name', 'Bench Owner',
                                                  'firm_bin', '100000000020', 'firm_name', 'Closed farm LLP',
                                                  'action', 'operation_cancelled', 'date', '2025-03-01')))
                            ELSE jsonb_build_object(
                               'avg_mw', 0.4 + mod(s.h1, 3000) / 1000.0, 'peak_mw', 0.5 + mod(s.h1, 3000) / 1000.0,
                               'coverage', 0.98, 'load_factor', 0.93, 'energy_mwh', 300 + mod(s.h2, 2000),
                               'hours_with_readings', 706, 'window_hours', 720, 'tariff', s.tariff) END""",
            "assigned_to_id": "CASE WHEN s.status IN ('under_inspection', 'confirmed') THEN a.id END",
            "decision_reason": "CASE WHEN s.status IN ('confirmed', 'dismissed') THEN 'Bench decision' ELSE '' END",
            "decided_at": "CASE WHEN s.status IN ('confirmed', 'dismissed')"
            " THEN least(now(), s.created_at + interval '2 days') END",
            "created_at": "s.created_at",
            "updated_at": "s.created_at",
        },
        f"""
        FROM (SELECT b.*, {created} AS created_at,
                     (ARRAY['open', 'open', 'open', 'under_inspection', 'confirmed', 'dismissed', 'dismissed',
                            'dismissed', 'dismissed', 'dismissed'])[1 + mod(b.h2, 10)] AS status
                FROM bench_flag b) s
        JOIN auth_user a ON a.username = 'inspector' || lpad((1 + mod(s.k, %(inspectors)s))::text, 2, '0')
    """,
        p,
    )
    # The meters each flag names, as detection writes them: a connection's flag its subject, a facility's or a
    # licence's flag the connections feeding it.
    rows += insert(
        conn,
        "registry_flagmeter",
        {"flag_id": "m.flag_id", "connection_id": "m.connection_id", "role": "m.role"},
        """
        FROM (SELECT id AS flag_id, connection_id, 'subject' AS role FROM registry_flag WHERE connection_id IS NOT NULL
              UNION
              SELECT f.id, fc.connection_id, 'member' FROM registry_flag f
                JOIN registry_facilityconnection fc ON fc.facility_id = f.facility_id
              UNION
              SELECT f.id, fc.connection_id, 'member' FROM registry_flag f
                JOIN registry_licencecoverage lc ON lc.licence_id = f.licence_id
                JOIN registry_facilityconnection fc ON fc.facility_id = lc.facility_id) m
    """,
        p,
    )
    return rows


def load_oversight(conn, p) -> int:
    """Inspections of flagged sites (illegal where the flag was confirmed) and the enforcement that followed."""
    conn.execute("DROP TABLE IF EXISTS bench_inspection")
    conn.execute(
        """
        CREATE TEMP TABLE bench_inspection AS
        SELECT nextval(pg_get_serial_sequence('registry_inspection', 'id')) AS id,
               row_number() OVER (ORDER BY fl.id) AS k,
               fl.id AS flag_id, fl.facility_id, fl.connection_id, fl.firm_id, fl.status,
               least(fl.created_at::date + 3, %(today)s::date) AS date
          FROM registry_flag fl
         WHERE fl.rule IN ('UNLICENSED_MINING', 'NO_VALID_LICENCE') AND fl.status IN ('under_inspection', 'confirmed')
         ORDER BY fl.id LIMIT %(inspections)s
    """,
        p,
    )
    rows = insert(
        conn,
        "registry_inspection",
        {
            "id": "i.id",
            "facility_id": "i.facility_id",
            "connection_id": "i.connection_id",
            "firm_id": "i.firm_id",
            "flag_id": "i.flag_id",
            "date": "i.date",
            "findings": "'Bench visit ' || i.k",
            "devices_found": "CASE WHEN i.status = 'confirmed' THEN 40 + mod(i.k * 13, 900) END",
            "outcome": "CASE WHEN i.status = 'confirmed' THEN 'illegal_operation'"
            " ELSE (ARRAY['', 'compliant', 'violations'])[1 + mod(i.k, 3)] END",
            "created_at": "i.date::timestamptz",
        },
        "FROM bench_inspection i",
        p,
    )
    rows += insert(
        conn,
        "registry_inspection_inspectors",
        {"inspection_id": "i.id", "user_id": "u.id"},
        """
        FROM bench_inspection i
        JOIN auth_user u ON u.username = 'inspector' || lpad((1 + mod(i.k, %(inspectors)s))::text, 2, '0')
    """,
        p,
    )
    # Operators found at a bare connection are registered as unregistered firms (every 20th firm is one).
    rows += insert(
        conn,
        "registry_enforcementaction",
        {
            "action": "a.action",
            "firm_id": "coalesce(i.firm_id, u.id)",
            "facility_id": "i.facility_id",
            "connection_id": "i.connection_id",
            "inspection_id": "i.id",
            "licence_id": "NULL",
            "region": "coalesce(f.region, c.region)",
            "date": "least(i.date + 5, %(today)s::date)",
            "devices": "CASE WHEN a.action = 'equipment_confiscated' THEN 50 + mod(i.k * 7, 500) END",
            "value_usd": "CASE WHEN a.action = 'equipment_confiscated' THEN (50 + mod(i.k * 7, 500)) * 2500 END",
            "case_number": "CASE WHEN a.action = 'criminal_case' THEN 'CC-' || lpad(i.k::text, 6, '0') ELSE '' END",
            "fine_kzt": "CASE WHEN a.action = 'fine' THEN 1000000 + mod(i.k, 50) * 100000 END",
            "notes": "''",
            "created_at": "least(i.date + 5, %(today)s::date)::timestamptz",
        },
        """
        FROM bench_inspection i
        CROSS JOIN LATERAL (SELECT (ARRAY['operation_cancelled', 'voluntary_closure', 'equipment_confiscated',
                                          'criminal_case', 'fine'])[1 + mod(i.k, 5)] AS action) a
        LEFT JOIN registry_facility f ON f.id = i.facility_id
        LEFT JOIN registry_gridconnection c ON c.id = i.connection_id
        JOIN registry_firm u ON u.bin = (100000000000 + 20 * (1 + mod(i.k, %(firms)s / 20)))::text
        WHERE i.status = 'confirmed'
    """,
        p,
    )
    rows += insert(
        conn,
        "registry_enforcementaction",
        {
            "action": "CASE l.kind WHEN 'suspended' THEN 'licence_suspended' ELSE 'licence_revoked' END",
            "firm_id": "l.firm_id",
            "facility_id": "l.facility_id",
            "licence_id": "l.id",
            "region": "f.region",
            "date": "%(today)s::date - mod(l.n, 300)",
            "case_number": "''",
            "notes": "'Bench decision'",
            "created_at": "(%(today)s::date - mod(l.n, 300))::timestamptz",
        },
        """
        FROM bench_licence l JOIN registry_facility f ON f.id = l.facility_id WHERE l.kind IN ('suspended', 'revoked')
    """,
        p,
    )
    return rows


def load_filings(conn, p) -> int:
    """Six months of declarations for licensed facilities; imports, corrections, exports and detection runs."""
    rows = insert(
        conn,
        "registry_powerdeclaration",
        {
            "facility_id": "l.facility_id",
            "month": "(date_trunc('month', %(today)s::date) - make_interval(months => m))::date",
            "consumed_mwh": "l.capacity_mw * 24 * 30 * 0.8",
            "peak_mw": "l.capacity_mw * 0.95",
            "devices": "100 + mod(l.n, 40) * 250",
            "power_source": "CASE WHEN mod(l.n, 10) = 0 THEN 'own_generation' ELSE 'grid_exchange' END",
            "is_current": "true",
            "filed_at": (
                "least(now(), date_trunc('month', %(today)s::date) - make_interval(months => m - 1, days => -10))"
            ),
            "filed_by_id": "u.id",
        },
        """
        FROM bench_licence l CROSS JOIN generate_series(1, 6) m
        JOIN registry_firmmembership fm ON fm.firm_id = l.firm_id JOIN auth_user u ON u.id = fm.user_id
        WHERE l.kind = 'active'
    """,
        p,
    )
    rows += insert(
        conn,
        "registry_readingimport",
        {
            "source": "'grid-feed-' || to_char(%(today)s::date - d, 'YYYY-MM-DD') || '.csv'",
            "status": "CASE WHEN mod(d, 10) = 3 THEN 'rejected' ELSE 'succeeded' END",
            "rows": "336000",
            "inserted": "CASE WHEN mod(d, 10) = 3 THEN 0 ELSE 335000 END",
            "unchanged": "900",
            "corrected": "CASE WHEN mod(d, 10) = 3 THEN 0 ELSE 100 END",
            "errors": "'[]'::jsonb",
            "started_at": "(%(today)s::date - d)::timestamptz + interval '1 hour'",
            "finished_at": "(%(today)s::date - d)::timestamptz + interval '1 hour 2 minutes'",
        },
        "FROM generate_series(1, %(days)s) d",
        p,
    )
    rows += insert(
        conn,
        "registry_readingcorrection",
        {
            "reading_import_id": "ri.id",
            "connection_id": "c.id",
            "period_start": "%(end)s::timestamptz - make_interval(hours => 1 + mod(k * 13, 24 * %(days)s))",
            "old_kwh": "1.5",
            "new_kwh": "2.5",
        },
        """
        FROM generate_series(1, 2000) k
        JOIN registry_gridconnection c
          ON c.meter_id = 'M-' || lpad((%(every)s * (1 + mod(k * 37, %(last)s / %(every)s)))::text, 7, '0')
        JOIN registry_readingimport ri
          ON ri.source = 'grid-feed-' || to_char(%(today)s::date - 1 - mod(k, %(days)s), 'YYYY-MM-DD') || '.csv'
    """,
        p,
    )
    rows += insert(
        conn,
        "registry_exportlog",
        {
            "user_id": "u.id",
            "actor": "u.username",
            "dataset": "(ARRAY['flags', 'facilities', 'licences', 'connections', 'readings'])[1 + mod(k, 5)]",
            "filters": "jsonb_build_object('region', 'pavlodar')",
            "row_count": "1000 * k",
            "started_at": "now() - make_interval(hours => k * 7)",
        },
        "FROM generate_series(1, 200) k JOIN auth_user u ON u.username = 'bench_regulator'",
        p,
    )
    rows += insert(
        conn,
        "registry_detectionrun",
        {
            "as_of": "(%(today)s::date - d)::timestamptz",
            "window_days": "30",
            "status": "'succeeded'",
            "trigger": "'schedule'",
            "counts": """jsonb_build_object(
                'UNLICENSED_MINING', jsonb_build_object('new', mod(d * 7, 40), 'updated', 200),
                                        'NO_VALID_LICENCE', jsonb_build_object('new', mod(d, 9), 'updated', 60))""",
            "thresholds": "'{}'::jsonb",
            "error": "''",
            "created_at": "(%(today)s::date - d)::timestamptz + interval '2 hours'",
            "started_at": "(%(today)s::date - d)::timestamptz + interval '2 hours'",
            "finished_at": "(%(today)s::date - d)::timestamptz + interval '2 hours 40 seconds'",
            "duration_ms": "40000",
        },
        "FROM generate_series(0, 89) d",
        p,
    )
    return rows


def load_readings(conn, p) -> int:
    """Hourly readings up to today 00:00 UTC: flat heavy farms on mining connections, a daily curve elsewhere.

    Rows arrive ordered by (connection, hour), so the primary key grows at its right edge.
    """
    make_partitions(conn, p["start"], p["end"])
    return conn.execute(
        """
        INSERT INTO registry_meterreading (connection_id, period_start, kwh)
        SELECT c.id, %(start)s::timestamptz + make_interval(hours => h.i),
               CASE WHEN c.n <= 15000 THEN 800 + mod(c.n, 1200) + mod(h.i * 7 + c.n, 9)
                    WHEN c.n <= 35000 THEN 400 + mod(h.i * 7 + c.n, 9)
                    ELSE round(1 + mod(h.i, 24) * 0.05 * mod(c.n, 13) + mod(h.i * 31 + c.n, 17) / 10.0, 3) END
          FROM (SELECT id, substr(meter_id, 3)::int AS n FROM registry_gridconnection
                 WHERE mod(substr(meter_id, 3)::int, %(every)s) = 0 AND substr(meter_id, 3)::int <= %(last)s) c
         CROSS JOIN generate_series(0, 24 * %(days)s - 1) AS h(i)
         ORDER BY c.id, h.i
    """,
        p,
    ).rowcount


STEPS = [
    ("people", load_people),
    ("grid connections", load_grid),
    ("firms", load_firms),
    ("facilities", load_facilities),
    ("licences", load_licences),
    ("flags", load_flags),
    ("inspections, enforcement", load_oversight),
    ("declarations, imports, runs", load_filings),
    ("readings", load_readings),
]


def load(url: str) -> list[tuple[str, float, int]]:
    """Load the whole volume; return (step, seconds, rows) for each step, and the final VACUUM ANALYZE."""
    import django

    django.setup()  # the choices below come from the models (the bench database is not touched through Django)
    from registry.models import Region
    from registry.models.grid import Tariff

    today = dt.datetime.now(dt.UTC).date()
    end = dt.datetime.combine(today, dt.time.min, tzinfo=dt.UTC)
    params = {
        "today": today,
        "start": end - dt.timedelta(days=READING_DAYS),
        "end": end,
        "days": READING_DAYS,
        "every": READING_EVERY,
        "last": READING_LAST,
        "regions": list(Region.values),
        "tariffs": list(Tariff.values),
        "connections": CONNECTIONS,
        "firms": FIRMS,
        "facilities": FACILITIES,
        "persons": PERSONS,
        "inspectors": STAFF_INSPECTORS,
        "unlicensed": UNLICENSED_FLAGS,
        "no_licence": NO_LICENCE_FLAGS,
        "over_capacity": OVER_CAPACITY_FLAGS,
        "under_declared": UNDER_DECLARED_FACILITIES,
        "missing": MISSING_DECLARATION_FACILITIES,
        "inspections": INSPECTIONS,
        "surnames": [
            "Abenov",
            "Bekov",
            "Dzhaksybekov",
            "Ermekov",
            "Ivanov",
            "Kairatov",
            "Li",
            "Musin",
            "Nurlanov",
            "Omarov",
            "Petrov",
            "Sadykov",
        ],
        "names": ["Aidar", "Arman", "Asel", "Bolat", "Dana", "Erlan", "Madi", "Nurlan", "Saule", "Timur"],
        "words": [
            "Altyn",
            "Baiterek",
            "Irtysh",
            "Kok",
            "Nomad",
            "Qazaq",
            "Sary",
            "Steppe",
            "Tengri",
            "Ulan",
            "Zhel",
            "Aral",
        ],
        "words2": ["Mining", "Hash", "Compute", "Data", "Energy", "Digital", "Power", "Blockchain"],
    }
    steps = []
    with psycopg.connect(url + BENCH_DB) as conn:
        conn.execute("SET TIME ZONE 'UTC'")
        conn.execute("SET work_mem = '64MB'")
        for name, step in STEPS:
            started = time.perf_counter()
            # Deferred foreign-key checks queue up behind the per-row audit triggers, and PostgreSQL rescans
            # that queue for each trigger's own INSERT: quadratic (50,000 flags take 90 s deferred, 6 s not).
            conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
            rows = step(conn, params)
            conn.execute("ANALYZE")  # later steps join on what this one loaded: plan them with real row counts
            conn.commit()
            steps.append((name, time.perf_counter() - started, rows))
            print(f"  loaded {name}: {rows:,} rows in {steps[-1][1]:.1f} s", file=sys.stderr, flush=True)
    with psycopg.connect(url + BENCH_DB, autocommit=True) as conn:
        started = time.perf_counter()
        conn.execute("VACUUM ANALYZE")
        # Write the load's dirty pages now, not while pages are being timed.
        conn.execute("CHECKPOINT")
        steps.append(("VACUUM ANALYZE, CHECKPOINT", time.perf_counter() - started, 0))
    return steps


def targets(url: str) -> dict[str, int]:
    """The objects whose change pages are opened: ones with the most behind them (readings, a licence, flags)."""
    with psycopg.connect(url + BENCH_DB) as conn:
        flag, connection = conn.execute(f"""
            SELECT id, connection_id FROM registry_flag
             WHERE rule = 'UNLICENSED_MINING' AND status = 'open'
               AND mod(substr(subject_ref, 3)::int, {READING_EVERY}) = 0
             ORDER BY window_end DESC, id LIMIT 1
        """).fetchone()
        facility, firm, licence = conn.execute("""
            SELECT f.id, f.firm_id, lc.licence_id FROM registry_facility f
              JOIN registry_licencecoverage lc ON lc.facility_id = f.id AND lc.holds
             WHERE (SELECT count(*) FROM registry_facilityconnection fc WHERE fc.facility_id = f.id) = 2
               AND EXISTS (SELECT FROM registry_flag fl WHERE fl.facility_id = f.id)
             ORDER BY f.id LIMIT 1
        """).fetchone()
    return {"flag": flag, "gridconnection": connection, "facility": facility, "firm": firm, "licence": licence}


def table_sizes(url: str) -> list[tuple[str, int, int]]:
    """(table, rows, bytes with indexes) of every registry table holding rows, biggest first."""
    with psycopg.connect(url + BENCH_DB) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace"
                " AND (starts_with(relname, 'registry_') OR relname = 'auth_user') AND NOT relname LIKE '%event'"
            )
        ]
        sizes = []
        for table in tables:
            rows = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            if rows:
                sizes.append((table, rows, conn.execute("SELECT pg_total_relation_size(%s)", [table]).fetchone()[0]))
        database = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    sizes.sort(key=lambda row: -row[1])
    return [*sizes, ("(whole database, with audit events)", 0, database)]


# Measuring


def measure_pages(url: str, chosen: dict[str, int], repeat: int, only: str) -> list[dict]:
    env = {
        **os.environ,
        "DATABASE_URL": url + BENCH_DB,
        "ALLOWED_HOSTS": "testserver",
        "DEBUG": "0",
        "LOG_LEVEL": "ERROR",
    }
    env.pop("REDIS_URL", None)
    done = subprocess.run(
        [
            sys.executable,
            str(MEASURE),
            json.dumps({"targets": chosen, "repeat": repeat, "only": only, "limit_ms": LIMIT_MS}),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"measuring the pages failed (exit {done.returncode}); its error is above")
    return json.loads(done.stdout.strip().splitlines()[-1])


# Report


def problems(page: dict) -> list[str]:
    """What fails a page: over the limit (if it is in the budget), an unexpected status, a full dropdown."""
    found = []
    if page["budget"] and page["median_ms"] >= LIMIT_MS:
        found.append("SLOW")
    if page["status"] != page["expected"]:
        found.append(f"STATUS (expected {page['expected']})")
    if page["max_options"] > 100:
        found.append("DROPDOWN")
    return found


def report(pages: list[dict], steps: list, sizes: list, migrate_s: float) -> None:
    print()
    if steps:
        print(f"Loaded in {sum(s for _n, s, _r in steps):.0f} s (migrate {migrate_s:.0f} s before):")
        for name, seconds, rows in steps:
            print(f"  {name:<30} {seconds:>7.1f} s {rows:>12,} rows")
        print()
    print("Table sizes")
    for table, rows, size in sizes:
        print(
            f"  {table:<40} {rows:>12,} rows {size / 2**20:>9,.0f} MB"
            if rows
            else f"  {table:<40} {'':>17} {size / 2**20:>9,.0f} MB"
        )
    print()
    print(
        f"Admin pages as a regulator: server time in ms, median of {pages[0]['repeat'] if pages else 0} after a "
        "warm-up; SQL ms and slowest q: the warm-up's queries; <select>: most options in one"
    )
    print()
    header = f"{'page':<52} {'status':>6} {'ms':>8} {'queries':>7} {'SQL ms':>8} {'slowest q':>9} {'<select>':>8}  flag"
    print(header)
    print("-" * (len(header) + 20))
    for page in sorted(pages, key=lambda p: -p["median_ms"]):
        print(
            f"{page['name']:<52} {page['status']:>6} {page['median_ms']:>8.1f} {page['queries']:>7}"
            f" {page['sql_ms']:>8.1f} {page['slowest_ms']:>9.1f} {page['max_options']:>8}  "
            + (" ".join(problems(page)) or ("" if page["budget"] else "(outside the budget)"))
        )
    budget = [p for p in pages if p["budget"]]
    slow = [p for p in budget if p["median_ms"] >= LIMIT_MS]
    status = [p for p in pages if p["status"] != p["expected"]]
    dropdowns = [p for p in pages if p["max_options"] > 100]
    most = max(pages, key=lambda p: p["queries"]) if pages else None
    times = sorted(p["median_ms"] for p in budget)
    print()
    print(
        f"{len(budget)} pages in the budget: {len(slow)} at or above {LIMIT_MS} ms; "
        f"max {max(times, default=0):.0f} ms, p95 {p95(times):.0f} ms, median {statistics.median(times or [0]):.0f} ms"
    )
    print(
        f"{len(pages)} pages measured: {len(status)} with an unexpected status, "
        f"{len(dropdowns)} with a full dropdown (<select> > 100 options)"
        + (f"; most queries {most['queries']} ({most['name']})" if most else "")
    )
    plans = [p for p in pages if p["median_ms"] >= LIMIT_MS and p.get("plan")]
    if plans:
        OUT.mkdir(parents=True, exist_ok=True)
        with PLANS.open("w") as out:
            for page in plans:
                out.write(f"=== {page['name']}  {page['url']}\n")
                out.write(
                    f"page {page['median_ms']:.0f} ms, {page['queries']} queries; slowest query "
                    f"{page['slowest_ms']:.0f} ms:\n\n{page['slowest_sql']}\n\n{page['plan']}\n\n"
                )
        print(f"plans of the slowest query of each slow page: {PLANS.relative_to(ROOT)}")


def p95(times: list[float]) -> float:
    """The 95th percentile of sorted times, nearest rank."""
    return times[math.ceil(0.95 * len(times)) - 1] if times else 0.0


def failures(pages: list[dict]) -> list[str]:
    return [f"{page['name']}: {' '.join(problems(page))}" for page in pages if problems(page)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help=f"Keep the {BENCH_DB} database afterwards.")
    parser.add_argument("--reuse", action="store_true", help=f"Measure an existing {BENCH_DB} without loading it.")
    parser.add_argument("--repeat", type=int, default=3, help="Timed requests per page, after one warm-up (default 3).")
    parser.add_argument("--only", default="", help="Measure only the pages whose name contains this text.")
    options = parser.parse_args()
    url = server_url()

    steps, migrate_s = [], 0.0
    try:
        if not options.reuse:
            started = time.perf_counter()
            with psycopg.connect(url + "postgres", autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
                conn.execute(f"CREATE DATABASE {BENCH_DB}")
            migrate(url)
            migrate_s = time.perf_counter() - started
            steps = load(url)
        chosen = targets(url)
        sizes = table_sizes(url)
        pages = measure_pages(url, chosen, options.repeat, options.only)
        report(pages, steps, sizes, migrate_s)
    finally:
        if not options.keep and not options.reuse:
            with psycopg.connect(url + "postgres", autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    failed = failures(pages)
    if failed:
        print(f"\nFAILED: {len(failed)} page(s) " + "; ".join(failed), file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
