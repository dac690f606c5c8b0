"""python -m bench.fieldgrid --out DIR [--seed N] [--days 60] [--end 2026-11-01T00:00:00Z] [--scale 1.0]"""

import argparse
import json
import time

from .generator import generate


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fieldgrid", description=__doc__)
    parser.add_argument("--out", required=True, help="output directory (created if missing)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--days", type=int, default=60, help="days of hourly readings before --end")
    parser.add_argument("--end", default="2026-11-01T00:00:00Z", help="as_of: readings cover [end - days, end)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every kind's count (at least 1 each)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    summary = generate(args.out, seed=args.seed, days=args.days, end=args.end, scale=args.scale)
    summary["seconds"] = round(time.monotonic() - started, 1)
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
