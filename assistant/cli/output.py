"""Output helpers shared by the commands."""

from __future__ import annotations

import json
import sys


def print_json(data: object) -> None:
    """``data`` as indented JSON on stdout (non-ASCII kept as is)."""
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
