"""`KAITO_EVENT {json}` lines on stdout: the runner parses them; everything else is plain log."""

import json
import math
import sys
import time

PREFIX = "KAITO_EVENT "


def _clean(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def emit(event, **fields):
    record = {"event": event, "time": round(time.time(), 3)}
    record.update({k: _clean(v) for k, v in fields.items() if v is not None})
    sys.stdout.write(PREFIX + json.dumps(record, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def parse(line):
    """The event in `line`, or None (the runner's parser, mirrored for tests)."""
    if not line.startswith(PREFIX):
        return None
    try:
        value = json.loads(line[len(PREFIX):])
    except ValueError:
        return None
    return value if isinstance(value, dict) and "event" in value else None
