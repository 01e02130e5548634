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


_BOUND_HINT = "; use a date such as 2025-05-27, May 2025 or 2025"  # the forms date_bounds reads


def date_bounds(value: str, end: bool = False) -> str:
    """The first day (or with ``end`` the last) that a user-given ``--since``/``--until``
    value covers, as an ISO date: "2025" is the whole year, "2025-05" or "May 2025" the
    whole month, and a missing year is this year. Raises ValueError when it is no date."""
    text = value.strip()
    if not text:
        raise ValueError(f"the date is empty{_BOUND_HINT}")
    year = dt.date.today().year
    default = dt.datetime(year, 12, 31) if end else dt.datetime(year, 1, 1)
    try:  # dateutil takes the missing fields from ``default`` (and keeps days in the month)
        return dateparser.parse(text, default=default).date().isoformat()
    except (ValueError, OverflowError, TypeError) as exc:
        raise ValueError(f"cannot read {text[:80]!r} as a date{_BOUND_HINT}") from exc
