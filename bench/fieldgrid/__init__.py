"""fieldgrid: a seeded generator of a realistic metered grid with hidden mining farms (issue 12's benchmark).

    python -m bench.fieldgrid --out /tmp/fieldgrid --seed 1 --days 60 --end 2026-11-01T00:00:00Z
    python -m bench.fieldgrid.score --truth /tmp/fieldgrid/truth.csv --flags flags.csv

See README.md in this directory.
"""

from .generator import INNOCENT_KINDS, KINDS, MINING_KINDS, generate

__all__ = ["INNOCENT_KINDS", "KINDS", "MINING_KINDS", "generate"]
