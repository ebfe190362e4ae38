"""The retraining schedule's cron arithmetic and the worker's "is it due" decision (pure)."""

from __future__ import annotations

import datetime as dt

import pytest

from newsmodel.retraining.schedule import CronSchedule, schedule_due


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


WEEKLY = CronSchedule.parse("0 3 * * 1")  # the default: Mondays 03:00 UTC


def test_the_default_weekly_schedule_fires_on_mondays_at_three() -> None:
    # 2026-12-03 is a Thursday.
    assert WEEKLY.next(at("2026-12-03T12:00")) == at("2026-12-07T03:00")
    assert WEEKLY.previous(at("2026-12-03T12:00")) == at("2026-11-30T03:00")
    assert WEEKLY.previous(at("2026-12-07T03:00:40")) == at("2026-12-07T03:00")
    assert WEEKLY.next(at("2026-12-07T03:00")) == at("2026-12-14T03:00")


def test_due_once_per_fire_time_and_a_missed_one_runs_once_when_back() -> None:
    last = at("2026-11-30T03:00:05")  # the last scheduled request
    assert not schedule_due(WEEKLY, last, at("2026-12-07T02:59"))
    assert schedule_due(WEEKLY, last, at("2026-12-07T03:00:10"))
    assert schedule_due(WEEKLY, last, at("2026-12-09T08:00"))  # the worker was down on Monday
    assert not schedule_due(WEEKLY, at("2026-12-07T03:00:30"), at("2026-12-09T08:00"))


def test_steps_ranges_lists_aliases_and_either_day_field() -> None:
    assert CronSchedule.parse("*/15 8-9 * * *").next(at("2026-12-03T08:50")) == at("2026-12-03T09:00")
    assert CronSchedule.parse("0 0 1,15 * *").next(at("2026-12-02T00:00")) == at("2026-12-15T00:00")
    assert CronSchedule.parse("@daily").previous(at("2026-12-03T12:00")) == at("2026-12-03T00:00")
    assert CronSchedule.parse("0 0 * * 7").next(at("2026-12-03T00:00")) == at("2026-12-06T00:00")
    # Both day fields restricted: the 1st of the month OR a Friday, as in cron.
    assert CronSchedule.parse("0 0 1 * 5").next(at("2026-12-02T00:00")) == at("2026-12-04T00:00")


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("0 3 * *", "five fields"),
        ("0 24 * * 1", "hour field '24': outside 0-23"),
        ("x 3 * * 1", "minute field 'x': not a number"),
        ("0 3 * * 1/0", "day of week field '1/0': outside"),
    ],
)
def test_a_bad_expression_names_its_field(expression: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CronSchedule.parse(expression)
