"""Run one manage.py command in this process; print its wall time, peak memory and output as JSON.

Used by the benchmarks so that each measured command has a process (and a
max RSS) of its own. Django's start-up is inside the measured time, as it is
for anyone running the command.
"""

import io
import json
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def main() -> None:
    started = time.perf_counter()
    import django
    from django.core.management import call_command

    django.setup()
    output = io.StringIO()
    call_command(*sys.argv[1:], stdout=output)
    seconds = time.perf_counter() - started
    maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "maxrss_mb": maxrss_mb, "output": output.getvalue()}))


if __name__ == "__main__":
    main()
