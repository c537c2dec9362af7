"""Wall-clock times in the neighbourhood's zone, and the instants they mean.

One place decides what a local time means on the two nights a year when
clocks change. A time in the spring gap (02:30 on 2026-03-29 in
Europe/Amsterdam) does not exist: it is refused, or, for housekeeping that
must still run that day, moved forward by the length of the gap (to 03:30).
A time in the autumn overlap (02:30 on 2026-10-25) happens twice on the
clock; it means the first one (fold=0, summer time), so it happens once.

It also holds the planning range: the one rule for how far from now a
drill, hackathon, reservation or loan may lie (a year back, five ahead).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone, tzinfo

REFUSE = "refuse"
SHIFT_FORWARD = "shift_forward"
# Anything the street plans starts and ends no more than a year before now
# and no more than five years after it (in days, leap years included). It
# also keeps every time far from year 1 and 9999, where zones overflow.
PLANNING_PAST = timedelta(days=366)
PLANNING_AHEAD = timedelta(days=5 * 366)


class OutOfRange(ValueError):
    """A time too far from now to plan, or beyond what a clock can show."""


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
    moved forward by the gap (02:30 becomes 03:30). Raises OutOfRange for
    a time so close to year 1 or 9999 that it has no UTC instant.
    """
    try:
        if moment.tzinfo is not None:
            return moment.astimezone(timezone.utc)

        # fold=0 reads a gap time with the offset before the change, which
        # lands exactly one gap-length later on the clock.
        instant = moment.replace(tzinfo=zone, fold=0).astimezone(timezone.utc)
        skipped = is_nonexistent(moment, zone)
    except OverflowError:
        raise OutOfRange(f"{moment} has no instant in UTC")

    if skipped and nonexistent != SHIFT_FORWARD:
        raise NonexistentTime(moment, zone)
    return instant


def to_local(moment: datetime, zone: tzinfo) -> datetime:
    """Return an aware instant as an aware wall-clock time in `zone`.

    An instant at the very end of year 9999 has no local time east of
    UTC; it comes back in UTC instead of failing.
    """
    try:
        return moment.astimezone(zone)
    except OverflowError:
        return moment.astimezone(timezone.utc)


def is_repeated(moment: datetime, zone: tzinfo) -> bool:
    """Tell whether an instant is the second pass of a wall-clock time.

    In the autumn overlap a wall-clock time alone means the first pass
    (see `to_utc`), so the second pass can only be told by its offset.
    """
    local = to_local(moment, zone)
    return (local.fold == 1
            and is_ambiguous(local.replace(tzinfo=None, fold=0), zone))


def planning_range(now: datetime) -> tuple[datetime, datetime]:
    """Return the first and last instant anything may be planned at."""
    return now - PLANNING_PAST, now + PLANNING_AHEAD


def check_planning_range(instant: datetime, now: datetime) -> datetime:
    """Return an aware instant inside the planning range; raise OutOfRange."""
    earliest, latest = planning_range(now)
    if not earliest <= instant <= latest:
        raise OutOfRange(f"{instant:%Y-%m-%d} is outside the planning range")
    return instant


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
