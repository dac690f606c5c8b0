"""Grid topology: which meter feeds which (docs/rules.md, "Bulk formats").

A grid connection may name its upstream meter (`GridConnection.parent`): a
distribution transformer or feeder head, itself a grid connection. The
upstream chain of a meter never comes back to it. The database refuses a meter
that is its own parent; a longer cycle is refused here, by the register import
and by the admin's form, which both call these functions. Changes of parents
are serialised by an advisory lock, so two transactions cannot each close half
of a cycle.
"""

from collections.abc import Mapping

from django.db import connection
from django.utils.translation import gettext as _

from registry.errors import RegistryError
from registry.models import GridConnection

TOPOLOGY_LOCK = 74_611_003  # serialises changes of upstream meters

# Every meter reached upward from the seeds through the stored parents, with its own parent.
_UPSTREAM_SQL = """
    WITH RECURSIVE up(id, meter_id, parent_id) AS (
        SELECT id, meter_id, parent_id FROM registry_gridconnection WHERE id = ANY(%s)
        UNION
        SELECT g.id, g.meter_id, g.parent_id FROM registry_gridconnection g JOIN up ON g.id = up.parent_id
    )
    SELECT id, meter_id, parent_id FROM up
"""


class TopologyRejected(RegistryError):
    """Upstream meters that cannot be set; `problems` maps each meter id at fault to the reason."""

    def __init__(self, problems: Mapping[str, str]):
        self.problems = dict(problems)
        super().__init__("; ".join(f"{meter}: {reason}" for meter, reason in self.problems.items()))


def unknown_meter_message(meter_id: str) -> str:
    return _("unknown meter %(meter)s") % {"meter": meter_id}


def own_parent_message() -> str:
    return _("a meter cannot be its own parent")


def cycle_message(meter_ids: list[str]) -> str:
    """`meter_ids` is the cycle from one meter up to the meter below it again: A → B → C → A."""
    return _("cycle: %(path)s") % {"path": " → ".join([*meter_ids, meter_ids[0]])}


def _lock() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [TOPOLOGY_LOCK])


def _upstream(ids: set[int]) -> tuple[dict[int, int | None], dict[int, str]]:
    """The stored parent and the meter id of each of `ids` and of every meter above them."""
    with connection.cursor() as cursor:
        cursor.execute(_UPSTREAM_SQL, [sorted(ids)])
        rows = cursor.fetchall()
    return {pk: parent_id for pk, __, parent_id in rows}, {pk: meter_id for pk, meter_id, __ in rows}


def _cycles(new_parents: Mapping[int, int | None], stored: Mapping[int, int | None]) -> list[list[int]]:
    """The cycles the grid would hold with `new_parents` replacing the stored parents of those meters.

    Each cycle is listed once, upward from its first meter in the order of
    `new_parents`; a meter merely leading into a cycle is not part of it.
    """
    parent_of = {**stored, **new_parents}
    order = {pk: index for index, pk in enumerate(new_parents)}
    walk_of: dict[int, int] = {}  # the walk that first reached each meter
    cycles = []
    for start in new_parents:
        path = []
        node: int | None = start
        while node is not None and node not in walk_of:
            walk_of[node] = start
            path.append(node)
            node = parent_of.get(node)
        if node is not None and walk_of[node] == start:  # this walk came back to itself
            cycle = path[path.index(node) :]
            first = min(range(len(cycle)), key=lambda i: order.get(cycle[i], len(order)))
            cycles.append(cycle[first:] + cycle[:first])
    return cycles


def connection_parent_problem(*, connection_id: int | None, meter_id: str, parent_id: int | None) -> str | None:
    """Why this connection cannot have this upstream meter (None when it can): itself, or a cycle.

    `meter_id` is the connection's meter id as it is about to be saved. Call it
    in the transaction that saves the parent: it takes the topology lock.
    """
    if parent_id is None:
        return None
    if parent_id == connection_id:
        return own_parent_message()
    if connection_id is None:
        return None  # a new meter: nothing stored can lead up to it yet
    _lock()
    stored, meter_ids = _upstream({parent_id})
    cycles = _cycles({connection_id: parent_id}, stored)
    if not cycles:
        return None
    meter_ids[connection_id] = meter_id
    return cycle_message([meter_ids[pk] for pk in cycles[0]])


def connection_parents_set(*, parents: Mapping[str, str | None]) -> set[str]:
    """Give each meter of `parents` (meter id → upstream meter id, None for none) its upstream meter, all or nothing.

    Every meter named must be in the register. An upstream meter must not be
    the meter itself, and the grid must hold no cycle afterwards, counting the
    stored parents of the other meters. Raise TopologyRejected naming each
    meter at fault, in the order of `parents` (a cycle is named at its first
    meter), and change nothing. Return the meters whose parent changed.
    """
    _lock()
    wanted = set(parents) | {up for up in parents.values() if up is not None}
    id_of = dict(GridConnection.objects.filter(meter_id__in=wanted).values_list("meter_id", "id"))
    problems: dict[str, str] = {}
    new_parents: dict[int, int | None] = {}
    for meter, up in parents.items():
        if meter not in id_of:
            problems[meter] = unknown_meter_message(meter)
        elif up is not None and up == meter:
            problems[meter] = own_parent_message()
        elif up is not None and up not in id_of:
            problems[meter] = unknown_meter_message(up)
        else:
            new_parents[id_of[meter]] = None if up is None else id_of[up]
    stored, meter_ids = _upstream(set(new_parents) | {pk for pk in new_parents.values() if pk is not None})
    for cycle in _cycles(new_parents, stored):
        problems[meter_ids[cycle[0]]] = cycle_message([meter_ids[pk] for pk in cycle])
    if problems:
        order = {meter: index for index, meter in enumerate(parents)}
        raise TopologyRejected(dict(sorted(problems.items(), key=lambda item: order.get(item[0], len(order)))))
    changed = {pk: up for pk, up in new_parents.items() if stored.get(pk) != up}
    if changed:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE registry_gridconnection g SET parent_id = v.parent_id"
                " FROM unnest(%s::bigint[], %s::bigint[]) AS v(id, parent_id) WHERE g.id = v.id",
                [list(changed), list(changed.values())],
            )
    return {meter_ids[pk] for pk in changed}
