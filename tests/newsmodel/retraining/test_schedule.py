"""Cron lines (newsmodel/cron.py) as the crawler and the retraining loop read them: cron's own
day-of-week numbering on top of APScheduler, and the worker's "is it due" decision (pure)."""

from __future__ import annotations

import datetime as dt

import pytest

from newsmodel.cron import cron_trigger, fired_between, first_fire_after


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


WEEKLY = cron_trigger("0 3 * * 1")  # the retraining default: Mondays 03:00 UTC


def test_the_default_weekly_schedule_fires_on_mondays_at_three() -> None:
    # 2026-12-03 is a Thursday; APScheduler's own from_crontab would read "1" as Tuesday.
    assert first_fire_after(WEEKLY, at("2026-12-03T12:00")) == at("2026-12-07T03:00")
    assert first_fire_after(WEEKLY, at("2026-12-07T03:00")) == at("2026-12-14T03:00")


def test_due_once_per_fire_time_and_a_missed_one_runs_once_when_back() -> None:
    last = at("2026-11-30T03:00:05")  # the last scheduled request
    assert fired_between(WEEKLY, last, at("2026-12-07T02:59")) is None
    assert fired_between(WEEKLY, last, at("2026-12-07T03:00:10")) == at("2026-12-07T03:00")
    assert fired_between(WEEKLY, last, at("2026-12-09T08:00")) == at("2026-12-07T03:00")  # was down
    assert fired_between(WEEKLY, at("2026-12-07T03:00:30"), at("2026-12-09T08:00")) is None


def test_steps_ranges_aliases_and_cron_day_numbers() -> None:
    assert first_fire_after(cron_trigger("*/15 8-9 * * *"), at("2026-12-03T08:50")) == at("2026-12-03T09:00")
    assert first_fire_after(cron_trigger("0 0 1,15 * *"), at("2026-12-02T00:00")) == at("2026-12-15T00:00")
    assert first_fire_after(cron_trigger("@daily"), at("2026-12-03T12:00")) == at("2026-12-04T00:00")
    assert first_fire_after(cron_trigger("0 0 * * 7"), at("2026-12-03T00:00")) == at("2026-12-06T00:00")
    assert first_fire_after(cron_trigger("0 0 * * 0-6/2"), at("2026-12-03T00:00")) == at("2026-12-05T00:00")
    assert first_fire_after(cron_trigger("0 0 * * mon-fri"), at("2026-12-05T00:00")) == at("2026-12-07T00:00")


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("0 3 * *", "five fields"),
        ("0 24 * * 1", "24"),
        ("x 3 * * 1", "minute"),
        ("0 3 * * 1/0", "day-of-week field '1/0': outside"),
        ("0 3 * * 9", "outside 0-7"),
    ],
)
def test_a_bad_expression_says_what_is_wrong(expression: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        cron_trigger(expression)
