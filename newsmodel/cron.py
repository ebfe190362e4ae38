"""Five-field cron lines (UTC) as APScheduler triggers, with cron's day-of-week numbering.

One parser for every schedule we read (crawler sources, the retraining loop). APScheduler 3's
`CronTrigger.from_crontab` reads day-of-week numbers its own way (0 = Monday), so "0 3 * * 1"
would fire on Tuesdays where cron means Mondays. Numbers in that field are rewritten to names
(0 and 7 = sun ... 6 = sat) before APScheduler parses the line; the rest is APScheduler's.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from apscheduler.triggers.cron import CronTrigger

__all__ = ["cron_trigger", "fired_between", "first_fire_after"]

_ALIASES = {"@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}
_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def _weekday_names(field: str) -> str:
    """Cron's numeric day-of-week field as a comma list of day names (names pass through)."""
    if field == "*" or any(c.isalpha() for c in field):
        return field
    days: set[int] = set()
    for part in field.split(","):
        body, _, step_text = part.partition("/")
        try:
            step = int(step_text) if step_text else 1
            if body == "*":
                start, stop = 0, 6
            elif "-" in body:
                start, stop = (int(x) for x in body.split("-", 1))
            else:
                start = int(body)
                stop = 6 if step_text else start
        except ValueError:
            raise ValueError(f"day-of-week field {field!r}: not a number, range or step") from None
        if step < 1 or not 0 <= start <= stop <= 7:
            raise ValueError(f"day-of-week field {field!r}: outside 0-7 (0 and 7 are Sunday)")
        days.update(d % 7 for d in range(start, stop + 1, step))
    return ",".join(_DAY_NAMES[d] for d in sorted(days))


def cron_trigger(expression: str) -> CronTrigger:
    """The UTC trigger of a five-field cron line (or @daily/@weekly/@hourly), or a ValueError
    that says what is wrong."""
    from apscheduler.triggers.cron import CronTrigger

    text = _ALIASES.get(expression.strip().lower(), expression.strip())
    fields = text.split()
    if len(fields) != 5:
        raise ValueError(
            f"cron {expression!r}: five fields wanted (minute hour day-of-month month day-of-week)"
        )
    minute, hour, day, month, weekday = fields
    try:
        return CronTrigger(
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=_weekday_names(weekday),
            timezone=dt.UTC,
        )
    except ValueError as exc:
        raise ValueError(f"cron {expression!r}: {exc}") from None


def first_fire_after(trigger: CronTrigger, after: dt.datetime) -> dt.datetime | None:
    """The first fire time strictly after `after` (APScheduler rounds up to the next second)."""
    fire = trigger.get_next_fire_time(None, after.astimezone(dt.UTC) + dt.timedelta(microseconds=1))
    return fire.astimezone(dt.UTC) if fire is not None else None


def fired_between(trigger: CronTrigger, since: dt.datetime, now: dt.datetime) -> dt.datetime | None:
    """A fire time in (since, now], or None: a schedule missed while a worker was down fires
    once when it is back, never twice."""
    fire = first_fire_after(trigger, since)
    return fire if fire is not None and fire <= now.astimezone(dt.UTC) else None
