"""Date normalisation: whatever a feed or front matter says, store ISO 8601."""

from __future__ import annotations

import datetime as dt
import re

from dateutil import parser as dateparser

_HAS_TIME = re.compile(r"\d{1,2}:\d{2}")


def normalise_date(value: object) -> str | None:
    """ISO 8601 for a date-like value (date only when no time was given); None if empty.

    Raises ValueError when the value is not empty but cannot be read as a date.
    """
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return dt.datetime.fromtimestamp(value, tz=dt.UTC).isoformat()
        except (OverflowError, OSError, ValueError) as exc:  # 1e20, -1e15, nan
            raise ValueError(f"cannot read the timestamp {value!r} as a date") from exc
    text = str(value).strip()
    try:
        parsed = dateparser.parse(text)
    except (ValueError, OverflowError, TypeError) as exc:
        raise ValueError(f"cannot read {text[:80]!r} as a date") from exc
    if _HAS_TIME.search(text):
        return parsed.isoformat()
    return parsed.date().isoformat()


def date_bounds(value: str) -> str:
    """The ISO date of a user-given ``--since``/``--until`` value (for filters)."""
    iso = normalise_date(value)
    if iso is None:
        raise ValueError("empty date")
    return iso[:10]
