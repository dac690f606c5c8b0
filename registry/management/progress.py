"""Progress bars for long commands: on a terminal's standard error only, and never with `-v0`.

Standard output stays what it was (the summary a script may read); a bar that is not shown is a no-op, so
a command calls it the same way whoever runs it.
"""

import os
from typing import Any

from django.utils.translation import pgettext
from tqdm import tqdm

# The unit for a count of bytes (written 1.2MB, 35.0MB/s); any other unit is a word written after the count.
BYTES = "B"


def progress(
    out: Any,
    verbosity: int,
    *,
    desc: str,
    total: int | None = None,
    unit: str | None = None,
    unit_scale: bool | None = None,
    **options: Any,
) -> tqdm:
    """Return a tqdm bar on `out` (a management command, for its stderr, or a text stream).

    It is shown, with the count, the rate and the time elapsed (and a bar when `total` is known), only when
    that stream is a terminal and `verbosity` (the command's -v) is at least 1; otherwise update(), close()
    and `with` do nothing. `unit` is a translated word (default: rows) or BYTES. Counts are written 1.23M,
    45.6k unless `unit_scale` is False (by default they are, but for a total below 10,000: 7/12 months).
    Other `options` go to tqdm as they are (bar_format="{desc} [{elapsed}]" for a step that counts nothing).
    """
    stream = getattr(out, "stderr", out)
    # Django's OutputWrapper ends every write with a newline: the bar redraws its line with \r, on the stream itself.
    stream = getattr(stream, "_out", stream)
    shown = verbosity >= 1 and hasattr(stream, "isatty") and stream.isatty()
    try:
        columns, lines = os.get_terminal_size(stream.fileno())
    except (AttributeError, ValueError, OSError):
        columns, lines = 0, 0
    return tqdm(
        desc=desc,
        total=total,
        unit=BYTES if unit == BYTES else " " + (unit or pgettext("unit of progress", "rows")),
        unit_scale=(total is None or total >= 10_000) if unit_scale is None else unit_scale,
        file=stream,
        disable=not shown,
        # A terminal of no size (`script` without one, some containers) would get no bar at all from tqdm.
        ncols=columns - 1 if columns > 0 else 79,
        nrows=lines if lines > 0 else 24,
        **options,
    )
