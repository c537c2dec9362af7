"""Housekeeping at a local hour runs once per local day across both 2026
clock changes in Europe/Amsterdam (29 March: 02:00 jumps to 03:00; 25
October: 03:00 falls back to 02:00)."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator
from zoneinfo import ZoneInfo

import pytest
from apscheduler.job import Job
from apscheduler.schedulers.background import BackgroundScheduler

from buurt import scheduler
from buurt.scheduler import EVERY_DAY, LocalTimeTrigger, next_local_run
from conftest import make_app, time_limit

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
WEEKDAYS = (0, 1, 2, 3, 4)
SPRING = date(2026, 3, 29)
AUTUMN = date(2026, 10, 25)


@pytest.fixture(autouse=True)
def deadline() -> Iterator[None]:
    """Fail a test whose schedule spins instead of moving on."""
    with time_limit(20):
        yield


def local(text: str, fold: int = 0) -> datetime:
    """Return an aware Amsterdam time from 'YYYY-MM-DD HH:MM'."""
    naive = datetime.fromisoformat(text)
    return naive.replace(tzinfo=AMSTERDAM, fold=fold)


def walk(start: datetime, hour: int, minute: int,
         weekdays: tuple[int, ...], count: int) -> list[datetime]:
    """Return `count` successive runs after `start`, in Amsterdam time."""
    runs, moment = [], start.astimezone(timezone.utc)
    for _ in range(count):
        moment = next_local_run(moment, hour, minute, weekdays, AMSTERDAM)
        runs.append(moment.astimezone(AMSTERDAM))
    return runs


def expected_days(first: date, last: date,
                  weekdays: tuple[int, ...]) -> list[date]:
    """List the days from `first` to `last` that fall on `weekdays`."""
    days = []
    day = first
    while day <= last:
        if day.weekday() in weekdays:
            days.append(day)
        day += timedelta(days=1)
    return days


@pytest.mark.parametrize("night", [SPRING, AUTUMN], ids=["spring", "autumn"])
@pytest.mark.parametrize("hour, minute", [(0, 0), (2, 30), (3, 0)],
                         ids=["00:00", "02:30", "03:00"])
def test_daily_run_happens_once_on_every_day_around_a_clock_change(
        night: date, hour: int, minute: int) -> None:
    start = local(f"{night - timedelta(days=4)} 12:00")

    runs = walk(start, hour, minute, EVERY_DAY, 9)

    days = [run.date() for run in runs]
    assert days == expected_days(night - timedelta(days=3),
                                 night + timedelta(days=5), EVERY_DAY)
    assert len({run.astimezone(timezone.utc) for run in runs}) == 9
    for run in runs:
        if run.date() == SPRING and (hour, minute) == (2, 30):
            # 02:30 does not exist that night; the stated rule moves it
            # forward by the gap's length.
            assert (run.hour, run.minute) == (3, 30)
        else:
            assert (run.hour, run.minute) == (hour, minute)


@pytest.mark.parametrize("night", [SPRING, AUTUMN], ids=["spring", "autumn"])
@pytest.mark.parametrize("hour, minute", [(0, 0), (2, 30), (3, 0)],
                         ids=["00:00", "02:30", "03:00"])
def test_weekday_schedule_skips_the_weekend_and_nothing_else(
        night: date, hour: int, minute: int) -> None:
    start = local(f"{night - timedelta(days=4)} 12:00")

    runs = walk(start, hour, minute, WEEKDAYS, 7)

    # Wednesday before the change up to the Friday after it.
    assert [run.date() for run in runs] == expected_days(
        night - timedelta(days=3), night + timedelta(days=5), WEEKDAYS)
    assert all((run.hour, run.minute) == (hour, minute) for run in runs)


def test_monday_after_the_spring_change_is_not_skipped() -> None:
    runs = walk(local("2026-03-29 00:00"), 0, 0, EVERY_DAY, 2)

    assert runs == [local("2026-03-30 00:00"), local("2026-03-31 00:00")]


def test_two_thirty_runs_once_on_the_autumn_night_at_the_first_one() -> None:
    runs = walk(local("2026-10-24 02:30"), 2, 30, EVERY_DAY, 2)

    assert runs[0] == local("2026-10-25 02:30", fold=0)
    assert runs[0].utcoffset() == timedelta(hours=2)
    assert runs[1] == local("2026-10-26 02:30")


def test_a_restart_in_the_repeated_hour_does_not_run_again() -> None:
    # The node ran at 02:30 summer time, then restarted at 02:45 winter time.
    after = local("2026-10-25 02:45", fold=1).astimezone(timezone.utc)

    run = next_local_run(after, 2, 30, EVERY_DAY, AMSTERDAM)

    assert run.astimezone(AMSTERDAM) == local("2026-10-26 02:30")


def test_a_weekly_sunday_run_lands_on_both_change_nights_once() -> None:
    spring = walk(local("2026-03-22 12:00"), 2, 30, (6,), 2)
    autumn = walk(local("2026-10-18 12:00"), 2, 30, (6,), 2)

    assert [run.date() for run in spring] == [SPRING, date(2026, 4, 5)]
    assert (spring[0].hour, spring[0].minute) == (3, 30)
    assert [run.date() for run in autumn] == [AUTUMN, date(2026, 11, 1)]
    assert autumn[0].utcoffset() == timedelta(hours=2)


def test_a_schedule_without_weekdays_is_refused() -> None:
    with pytest.raises(ValueError):
        next_local_run(local("2026-03-29 00:00"), 0, 0, (), AMSTERDAM)


@pytest.mark.parametrize("hour, minute, weekdays", [
    (0, 0, EVERY_DAY), (2, 30, EVERY_DAY), (3, 0, EVERY_DAY),
    (0, 0, WEEKDAYS)])
def test_trigger_walked_by_apscheduler_over_thirty_days_runs_once_a_day(
        hour: int, minute: int, weekdays: tuple[int, ...]) -> None:
    for first, last in ((date(2026, 3, 15), date(2026, 4, 13)),
                        (date(2026, 10, 11), date(2026, 11, 9))):
        trigger = LocalTimeTrigger(hour, minute, weekdays, "Europe/Amsterdam")
        start = local(f"{first - timedelta(days=1)} 23:59")
        end = local(f"{last} 23:59")
        job = Job(BackgroundScheduler(timezone=timezone.utc), id="walk",
                  func=print, args=(), kwargs={}, name="walk",
                  trigger=trigger, executor="default",
                  misfire_grace_time=None, coalesce=False, max_instances=1,
                  next_run_time=trigger.get_next_fire_time(None, start))

        # APScheduler's own loop collects every run up to `end`.
        runs = job._get_run_times(end.astimezone(timezone.utc))

        assert [run.astimezone(AMSTERDAM).date() for run in runs] == (
            expected_days(first, last, weekdays))


# A real scheduler through both nights, with its clock moved there -----------

RUNS: list[datetime] = []
RAN = threading.Event()


def record_run() -> None:
    """Note the scheduler's time of one run (the job of the tests below)."""
    RUNS.append(scheduler.now())
    RAN.set()


@pytest.mark.parametrize("clock, fires_at, then", [
    ("2026-03-29T03:29:58+02:00", "2026-03-29 03:30", "2026-03-30 02:30"),
    ("2026-10-25T02:29:58+02:00", "2026-10-25 02:30", "2026-10-26 02:30"),
], ids=["spring", "autumn"])
def test_real_scheduler_runs_a_two_thirty_job_once_on_the_change_night(
        tmp_path: Path, clock: str, fires_at: str, then: str) -> None:
    app = make_app(tmp_path, scheduler_clock=clock)
    RUNS.clear()
    RAN.clear()
    sched = scheduler.start(app)
    assert sched is not None
    try:
        sched.add_job(record_run, LocalTimeTrigger(2, 30), id="housekeeping")

        assert RAN.wait(10), "the 02:30 job did not run"
        job = sched.get_job("housekeeping")
        next_run = scheduler.current_offset() + job.next_run_time
    finally:
        scheduler.stop(app)

    assert len(RUNS) == 1
    assert RUNS[0].astimezone(AMSTERDAM).strftime("%Y-%m-%d %H:%M") == (
        fires_at)
    assert next_run.astimezone(AMSTERDAM) == local(then)
