"""Persons and what firms filed about them, for the regulator: who several firms list, and where filings differ.

A firm is shown only its own filing (the name and PEP marker on its `Ownership`); the registry's `Person` is
linked by IIN and never changed by a filing, so it is here, in the regulator's view, that filings meet. Names
compare without case and surrounding spaces.
"""

from django.db.models import CharField, Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Cast, Coalesce, Concat, Lower, Trim

from registry.models import Ownership, Person


def _filings() -> QuerySet[Ownership]:
    """The filings of the outer query's person, each with its name as compared."""
    return Ownership.objects.filter(person=OuterRef("pk")).annotate(name_key=Lower(Trim("filed_full_name")))


def _count(queryset: QuerySet, expression) -> Coalesce:
    counted = queryset.values("person").annotate(n=Count(expression, distinct=True)).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def persons_with_filings(persons: QuerySet[Person] | None = None) -> QuerySet[Person]:
    """Persons with `listing_firms` (how many firms list them), `filing_variants` (how many different
    name-and-PEP filings there are of them: more than one means firms' filings differ) and
    `differs_from_record` (a filing differs from the registry's own name or PEP marker)."""
    persons = Person.objects.all() if persons is None else persons
    filings = _filings()
    return persons.annotate(
        listing_firms=_count(filings, "firm"),
        filing_variants=_count(filings, Concat("name_key", Cast("filed_is_pep", output_field=CharField()))),
        differs_from_record=Exists(
            filings.exclude(name_key=Lower(Trim(OuterRef("full_name"))), filed_is_pep=OuterRef("is_pep"))
        ),
    )


def filings_differ() -> Q:
    """Persons (annotated by `persons_with_filings`) whom firms filed in different ways."""
    return Q(filing_variants__gt=1)
