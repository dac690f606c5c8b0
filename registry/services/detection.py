"""Running detection: metrics → rules → flags, idempotently, with a record of every run."""

import datetime as dt
import time
from collections import Counter
from dataclasses import asdict

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from psycopg.types.json import Jsonb

from registry import clock
from registry.detection import metrics, rules
from registry.models import DetectionRun, DetectionSettings, Flag

# Serialises concurrent runs: each holds this transaction-level advisory lock while it writes flags.
FLAG_WRITER_LOCK = 74_611_001

# Every rule, in the order docs/rules.md lists them: the contract's six, then the ways farms hide.
RULES = list(Flag.Rule.values)
HIDING_RULES = RULES[RULES.index(Flag.Rule.HOUSEHOLD_MINING) :]
# A connection that one of these flags is not flagged again by a later one in the same run, in this order.
SINGLE_METER_HIDING_RULES = (rules.household_mining, rules.curtailed_load, rules.patchy_load, rules.base_load)


def findings_for(window: metrics.Window, t: rules.Thresholds) -> dict[str, list[rules.Finding]]:
    """Apply every rule to its metrics; the three load rules share one scan of the readings."""
    loads = metrics.window_loads(window, recent_days=t.step_recent_days)
    hiding = metrics.hiding_subjects(window, loads.connections, loads.all_loads, t)
    found = {
        "UNLICENSED_MINING": [
            rules.unlicensed_mining(s, t, hiding.shapes.get(s.connection_id)) for s in loads.connections
        ],
        "NO_VALID_LICENCE": [rules.no_valid_licence(s, t) for s in loads.facilities],
        "OVER_CAPACITY": [rules.over_capacity(s, t) for s in loads.licences],
        "UNDER_DECLARED": [rules.under_declared(s, t) for s in metrics.declared_months(window)],
        "MISSING_DECLARATION": [rules.missing_declaration(s, t) for s in metrics.undeclared_months(window)],
        "RELATED_PARTY": [
            rules.related_party(s, t) for s in metrics.related_firms(window, years=t.related_party_years)
        ],
    }
    found.update(_hiding_findings(loads.connections, hiding, found["UNLICENSED_MINING"], t))
    return {rule: [finding for finding in found[rule] if finding is not None] for rule in RULES}


def _hiding_findings(connections, hiding: metrics.Hiding, unlicensed: list, t: rules.Thresholds) -> dict[str, list]:
    """The rules on how farms hide, each connection flagged by at most one of them (docs/rules.md)."""
    flagged = {f.links["connection_id"] for f in unlicensed if f is not None}
    found: dict[str, list] = {rule: [] for rule in HIDING_RULES}
    for group in sorted(hiding.groups, key=lambda g: len(g.members), reverse=True):
        ids = {member.connection_id for member in group.members}
        if ids <= flagged:
            continue
        finding = rules.split_load(group, t)
        if finding is not None:
            found["SPLIT_LOAD"].append(finding)
            flagged |= ids
    for subject in connections:
        shape = hiding.shapes.get(subject.connection_id)
        if subject.connection_id in flagged or shape is None:
            continue
        for rule in SINGLE_METER_HIDING_RULES:
            finding = rule(subject, shape, t)
            if finding is not None:
                found[finding.rule].append(finding)
                flagged.add(subject.connection_id)
                break
    for step in hiding.steps:
        if step.subject.connection_id not in flagged:
            finding = rules.load_step(step, t)
            if finding is not None:
                found["LOAD_STEP"].append(finding)
                flagged.add(step.subject.connection_id)
    found["ENERGY_BALANCE"] = [rules.energy_balance(balance, t) for balance in hiding.balances]
    return found


def thresholds_current() -> rules.Thresholds:
    """The thresholds a regulator set in the admin (the defaults of docs/rules.md, "Detection", until changed)."""
    settings = DetectionSettings.current()
    return rules.Thresholds(**{name: getattr(settings, name) for name in rules.Thresholds.__dataclass_fields__})


def as_of_default() -> dt.datetime:
    """Now, truncated to the hour (UTC)."""
    return clock.hour_floor(clock.now())


def detection_run_create(
    *, as_of: dt.datetime | None = None, window_days: int | None = None, trigger: str
) -> DetectionRun:
    """Record a run to be executed (by the Celery task or at once)."""
    return DetectionRun.objects.create(
        as_of=(as_of or as_of_default()).astimezone(dt.UTC),
        window_days=window_days or DetectionSettings.current().window_days,
        trigger=trigger,
    )


def detection_run(*, run: DetectionRun) -> DetectionRun:
    """Run every rule for the run's instant and window, and write the flags.

    Idempotent: at most one flag that is not dismissed per (rule, subject,
    month); a rerun refreshes its evidence and window. A run that already
    succeeded is not repeated.
    """
    claimed = (
        DetectionRun.objects.filter(pk=run.pk)
        .exclude(status=DetectionRun.Status.SUCCEEDED)
        .update(status=DetectionRun.Status.RUNNING, started_at=timezone.now(), error="")
    )
    run.refresh_from_db()
    if not claimed:
        return run
    started = time.monotonic()
    thresholds = thresholds_current()
    window = metrics.Window(start=run.as_of - dt.timedelta(days=run.window_days), end=run.as_of)
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [FLAG_WRITER_LOCK])
                # Check foreign keys row by row: deferred checks queued behind the audit triggers grow slower
                # with every flag a run writes.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                # The window's aggregates are costed high enough to be JIT-compiled, which takes longer (over a
                # second at 10M readings) than the work it would speed up.
                cursor.execute("SET LOCAL jit = off")
            counts = {
                rule: _write_flags(rule, findings, window, thresholds)
                for rule, findings in findings_for(window, thresholds).items()
            }
            DetectionRun.objects.filter(pk=run.pk).update(
                status=DetectionRun.Status.SUCCEEDED,
                counts=counts,
                thresholds={k: str(v) for k, v in asdict(thresholds).items()},
                finished_at=timezone.now(),
                duration_ms=int((time.monotonic() - started) * 1000),
            )
    except Exception as error:
        DetectionRun.objects.filter(pk=run.pk).update(
            status=DetectionRun.Status.FAILED, error=repr(error)[:2000], finished_at=timezone.now()
        )
        raise
    run.refresh_from_db()
    return run


def _write_flags(rule: str, findings: list[rules.Finding], window: metrics.Window, t: rules.Thresholds) -> dict:
    """Create, refresh or (after a recent dismissal) hold back the flags of one rule, in three queries."""
    live = {
        (f.subject_type, f.subject_ref, f.month): f
        for f in Flag.objects.filter(rule=rule).exclude(status=Flag.Status.DISMISSED)
    }
    silence_since = window.end - dt.timedelta(days=t.dismissal_silence_days)
    dismissed: dict[tuple[str, str], dict] = {}
    recent_dismissals = (
        Flag.objects.filter(rule=rule, status=Flag.Status.DISMISSED)
        .filter(Q(decided_at__gt=silence_since) | Q(decided_at__isnull=True, updated_at__gt=silence_since))
        .order_by("decided_at", "updated_at")
        .values_list("subject_type", "subject_ref", "evidence")
    )
    for subject_type, subject_ref, evidence in recent_dismissals:
        dismissed[(subject_type, subject_ref)] = evidence  # the latest dismissal wins

    counts = Counter(new=0, updated=0, silenced=0)
    to_create, to_update, meters = [], [], []
    for finding in findings:
        values = {
            "severity": finding.severity,
            "evidence": finding.evidence,
            "window_start": window.start,
            "window_end": window.end,
            **_links(finding),
        }
        flag = live.get((finding.subject_type, finding.subject_ref, finding.month))
        if flag is not None:
            for name, value in values.items():
                setattr(flag, name, value)
            to_update.append(flag)
            meters.append((flag, finding))
            counts["updated"] += 1
        elif (finding.subject_type, finding.subject_ref) in dismissed and not rules.regrown(
            finding.avg_mw, dismissed[(finding.subject_type, finding.subject_ref)], t
        ):
            counts["silenced"] += 1
        else:
            flag = Flag(
                rule=rule,
                subject_type=finding.subject_type,
                subject_ref=finding.subject_ref,
                month=finding.month,
                **values,
            )
            to_create.append(flag)
            meters.append((flag, finding))
            counts["new"] += 1
    Flag.objects.bulk_create(to_create, batch_size=1000)
    _refresh(to_update)
    _write_meters(meters)
    return dict(counts)


def _write_meters(flags: list[tuple[Flag, rules.Finding]]) -> None:
    """Record each flag's meters, set-based: those the finding names, else its facility's or licence's."""
    if not flags:
        return
    named = [(flag.pk, pk, role) for flag, finding in flags for pk, role in finding.meters]
    derived = [(flag.pk, flag.facility_id, flag.licence_id) for flag, finding in flags if not finding.meters]
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM registry_flagmeter WHERE flag_id = ANY(%s)", [[flag.pk for flag, _ in flags]])
        cursor.execute(
            """
            INSERT INTO registry_flagmeter (flag_id, connection_id, role)
            SELECT flag_id, connection_id, role FROM unnest(%s::bigint[], %s::bigint[], %s::text[])
                   AS v(flag_id, connection_id, role)
            UNION
            SELECT d.flag_id, fc.connection_id, 'member'
              FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[]) AS d(flag_id, facility_id, licence_id)
              JOIN registry_licencecoverage lc ON lc.licence_id = d.licence_id
              JOIN registry_facilityconnection fc ON fc.facility_id = lc.facility_id
            UNION
            SELECT d.flag_id, fc.connection_id, 'member'
              FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[]) AS d(flag_id, facility_id, licence_id)
              JOIN registry_facilityconnection fc ON fc.facility_id = d.facility_id
            ON CONFLICT DO NOTHING
            """,
            [
                [row[0] for row in named],
                [row[1] for row in named],
                [row[2] for row in named],
                [row[0] for row in derived],
                [row[1] for row in derived],
                [row[2] for row in derived],
                [row[0] for row in derived],
                [row[1] for row in derived],
                [row[2] for row in derived],
            ],
        )


def _refresh(flags: list[Flag]) -> None:
    """Write the refreshed flags in one UPDATE … FROM unnest(…) (bulk_update's CASE grows quadratically)."""
    if not flags:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE registry_flag f
               SET severity = v.severity, evidence = v.evidence, window_start = v.window_start,
                   window_end = v.window_end, connection_id = v.connection_id, facility_id = v.facility_id,
                   licence_id = v.licence_id, firm_id = v.firm_id, updated_at = now()
              FROM unnest(%s::bigint[], %s::text[], %s::jsonb[], %s::timestamptz[], %s::timestamptz[],
                          %s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[])
                   AS v(id, severity, evidence, window_start, window_end,
                        connection_id, facility_id, licence_id, firm_id)
             WHERE f.id = v.id
            """,
            [
                [f.pk for f in flags],
                [f.severity for f in flags],
                [Jsonb(f.evidence) for f in flags],
                [f.window_start for f in flags],
                [f.window_end for f in flags],
                [f.connection_id for f in flags],
                [f.facility_id for f in flags],
                [f.licence_id for f in flags],
                [f.firm_id for f in flags],
            ],
        )


def _links(finding: rules.Finding) -> dict:
    """The subject's foreign keys (unset ones cleared), and the refresh time."""
    links = {f"{name}_id": finding.links.get(f"{name}_id") for name in ("connection", "facility", "licence", "firm")}
    return links | {"updated_at": timezone.now()}
