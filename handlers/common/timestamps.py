"""ISO 8601 UTC timestamps ending in ``Z`` with millisecond precision, as the contracts require.

One fixed shape (``2026-11-23T22:00:00.000Z``) means timestamps sort correctly as strings,
which the status table's conditional writes rely on.
"""

from datetime import UTC, datetime


def iso_utc(moment: datetime) -> str:
    """Format an aware datetime as ``YYYY-MM-DDTHH:MM:SS.mmmZ`` in UTC."""
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def now_iso() -> str:
    """The current time as an ISO 8601 UTC string."""
    return iso_utc(datetime.now(UTC))


def normalise_event_time(value: str | float | int) -> str:
    """An event time (ISO string from AWS, or epoch seconds from some emulators) in the canonical shape.

    Raises
    ------
    ValueError
        If the value is neither an ISO 8601 time nor a number of seconds since the epoch.
    """
    if isinstance(value, bool):
        raise ValueError(f"not a timestamp: {value!r}")
    if isinstance(value, int | float):
        return iso_utc(datetime.fromtimestamp(value, UTC))
    if not isinstance(value, str):
        raise ValueError(f"not a timestamp: {value!r}")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return iso_utc(parsed)
