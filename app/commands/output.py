"""What every command prints the same way."""

from __future__ import annotations

import json
import sys

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
#: Standard output closed by its reader (``| head -1``): what a program stopped by SIGPIPE
#: reports in a shell (128 + 13), as ``yes | head`` does.
EXIT_OUTPUT_CLOSED = 141


class UsageError(Exception):
    """Unusable input: printed as one line, exit 2."""


def print_json(data: object) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")
