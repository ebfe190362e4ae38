"""The retraining schedule: a 5-field cron expression (UTC) and when it is due.

Pure functions, so the worker loop's one decision ("has a fire time passed since the last
scheduled request?") is tested without a clock. Fields: minute hour day-of-month month
day-of-week (0 or 7 = Sunday), each `*`, `N`, `A-B`, `*/S`, `A-B/S` or a comma list; as in
cron, when both day fields are restricted a day matching either fires. `@weekly`, `@daily`,
`@hourly` are accepted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

__all__ = ["CronSchedule", "schedule_due"]

_ALIASES = {"@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}
_FIELDS = (
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day of month", 1, 31),
    ("month", 1, 12),
    ("day of week", 0, 7),
)
_SEARCH_DAYS = 366 * 5  # 29 February on a Monday needs more than four years


def _parse_field(text: str, name: str, low: int, high: int) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        body, _, step_text = part.partition("/")
        try:
            step = int(step_text) if step_text else 1
            if body == "*":
                start, stop = low, high
            elif "-" in body:
                a, b = body.split("-", 1)
                start, stop = int(a), int(b)
            else:
                start = int(body)
                stop = high if step_text else start
        except ValueError:
            raise ValueError(f"cron {name} field {text!r}: not a number, range or step") from None
        if step < 1 or not (low <= start <= stop <= high):
            raise ValueError(f"cron {name} field {text!r}: outside {low}-{high}")
        values.update(range(start, stop + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class CronSchedule:
    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    any_day: bool
    any_weekday: bool

    @classmethod
    def parse(cls, expression: str) -> CronSchedule:
        """A schedule from `expression`, or ValueError naming the field that is wrong."""
        text = _ALIASES.get(expression.strip().lower(), expression.strip())
        fields = text.split()
        if len(fields) != 5:
            raise ValueError(
                f"cron {expression!r}: five fields wanted (minute hour day-of-month month day-of-week)"
            )
        parsed = [_parse_field(f, name, lo, hi) for f, (name, lo, hi) in zip(fields, _FIELDS, strict=True)]
        weekdays = frozenset(d % 7 for d in parsed[4])
        return cls(
            expression,
            parsed[0],
            parsed[1],
            parsed[2],
            parsed[3],
            weekdays,
            fields[2] == "*",
            fields[4] == "*",
        )

    def _day_matches(self, day: dt.date) -> bool:
        if day.month not in self.months:
            return False
        in_month, in_week = day.day in self.days, (day.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return in_month and in_week
        return in_month or in_week

    def previous(self, at: dt.datetime) -> dt.datetime | None:
        """The latest fire time at or before `at` (UTC), or None if none within five years."""
        at = at.astimezone(dt.UTC).replace(second=0, microsecond=0)
        for back in range(_SEARCH_DAYS):
            day = at.date() - dt.timedelta(days=back)
            if not self._day_matches(day):
                continue
            for hour in sorted(self.hours, reverse=True):
                if back == 0 and hour > at.hour:
                    continue
                for minute in sorted(self.minutes, reverse=True):
                    if back == 0 and hour == at.hour and minute > at.minute:
                        continue
                    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.UTC)
        return None

    def next(self, after: dt.datetime) -> dt.datetime | None:
        """The first fire time strictly after `after` (UTC), or None if none within five years."""
        after = after.astimezone(dt.UTC).replace(second=0, microsecond=0)
        for ahead in range(_SEARCH_DAYS):
            day = after.date() + dt.timedelta(days=ahead)
            if not self._day_matches(day):
                continue
            for hour in sorted(self.hours):
                if ahead == 0 and hour < after.hour:
                    continue
                for minute in sorted(self.minutes):
                    if ahead == 0 and hour == after.hour and minute <= after.minute:
                        continue
                    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.UTC)
        return None


def schedule_due(schedule: CronSchedule, since: dt.datetime, now: dt.datetime) -> bool:
    """True when a fire time lies in (since, now]: `since` is the last scheduled request (or the
    worker's start), so a fire time missed while the worker was down runs once when it is back,
    and never twice."""
    fired = schedule.previous(now)
    return fired is not None and fired > since
