"""Wall-clock times in the neighbourhood's zone, and the instants they mean.

One place decides what a local time means on the two nights a year when
clocks change. A time in the spring gap (02:30 on 2026-03-29 in
Europe/Amsterdam) does not exist: it is refused, or, for housekeeping that
must still run that day, moved forward by the length of the gap (to 03:30).
A time in the autumn overlap (02:30 on 2026-10-25) happens twice on the
clock; it means the first one (fold=0, summer time), so it happens once.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone, tzinfo

REFUSE = "refuse"
SHIFT_FORWARD = "shift_forward"


class NonexistentTime(ValueError):
    """A local time that the clock skips when summer time starts."""

    def __init__(self, local: datetime, zone: tzinfo) -> None:
        super().__init__(f"{local:%Y-%m-%d %H:%M} does not exist in {zone}")
        self.local = local
        self.zone = zone
        self.gap_start, self.gap_end = gap_around(local, zone)


def to_utc(moment: datetime, zone: tzinfo,
           nonexistent: str = REFUSE) -> datetime:
    """Return the UTC instant of a wall-clock time in `zone`.

    An aware `moment` is only converted. A naive one is read in `zone`;
    in the autumn overlap it means the first occurrence. In the spring gap
    it raises NonexistentTime, or with `nonexistent=SHIFT_FORWARD` it is
    moved forward by the gap (02:30 becomes 03:30).
    """
    if moment.tzinfo is not None:
        return moment.astimezone(timezone.utc)

    # fold=0 reads a gap time with the offset before the change, which
    # lands exactly one gap-length later on the clock.
    instant = moment.replace(tzinfo=zone, fold=0).astimezone(timezone.utc)
    if is_nonexistent(moment, zone) and nonexistent != SHIFT_FORWARD:
        raise NonexistentTime(moment, zone)
    return instant


def to_local(moment: datetime, zone: tzinfo) -> datetime:
    """Return an aware instant as an aware wall-clock time in `zone`."""
    return moment.astimezone(zone)


def is_ambiguous(local: datetime, zone: tzinfo) -> bool:
    """Tell whether a naive wall-clock time occurs twice in `zone`."""
    early = local.replace(tzinfo=zone, fold=0).utcoffset()
    late = local.replace(tzinfo=zone, fold=1).utcoffset()
    return early != late and not is_nonexistent(local, zone)


def is_nonexistent(local: datetime, zone: tzinfo) -> bool:
    """Tell whether a naive wall-clock time is skipped in `zone`."""
    instant = local.replace(tzinfo=zone, fold=0).astimezone(timezone.utc)
    return instant.astimezone(zone).replace(tzinfo=None) != local


def gap_around(local: datetime, zone: tzinfo) -> tuple[datetime, datetime]:
    """Return the naive wall-clock bounds of the gap holding `local`."""
    before = local.replace(tzinfo=zone, fold=0).utcoffset() or timedelta()
    after = local.replace(tzinfo=zone, fold=1).utcoffset() or timedelta()
    jump = abs(after - before)
    # The gap starts where the old offset ends; walk back to it by minutes.
    start = local.replace(second=0, microsecond=0)
    while is_nonexistent(start - timedelta(minutes=1), zone):
        start -= timedelta(minutes=1)
    return start, start + jump
