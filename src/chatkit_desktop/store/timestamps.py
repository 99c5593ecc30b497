"""Sortable integer timestamps for SQL ordering.

The SDK stamps items with naive local `datetime.now()`; some clients send aware datetimes. Both
map to microseconds since the epoch so rows sort correctly whichever kind they carry.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


def to_us(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.astimezone()  # naive means local time, as datetime.now() gives
    return (moment - _EPOCH) // _US


def from_us(us: int) -> datetime:
    """The moment `us` microseconds after the epoch, in local time (aware)."""
    return (_EPOCH + us * _US).astimezone()
