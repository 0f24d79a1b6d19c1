"""One JSON object per line on stdout, like the repository's other processes (winston's JSON)."""

import json
import sys
import time


def log(level, message, **fields):
    record = {"level": level, "message": message, "component": "kaito-cpu-inference", "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    record.update({k: v for k, v in fields.items() if v is not None})
    sys.stdout.write(json.dumps(record, separators=(",", ":"), default=str) + "\n")
    sys.stdout.flush()
