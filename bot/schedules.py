"""Reading `/maturity schedule ...` and working out when a schedule is due, with APScheduler's cron trigger.

All calendar maths (time zones, daylight-saving changes, month lengths) is APScheduler's; this module only
turns the facilitator's words into a CronTrigger and asks it for fire times.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger

from .blocks.text import echo

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAY_NAMES = dict(zip(WEEKDAYS, ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]))
MAX_LATE = timedelta(hours=6)
EXAMPLES = (
    "`/maturity schedule daily 09:00`, `/maturity schedule weekly mon 09:30 Europe/London`, "
    "`/maturity schedule monthly 1 08:00`, or `/maturity schedule off`"
)
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class ScheduleError(ValueError):
    """The facilitator's words are not a schedule; the message (mrkdwn, their words in it cut and escaped)
    says why and shows the right form."""

    def __init__(self, problem: str):
        super().__init__(f"{problem} Try {EXAMPLES}.")


@dataclass(frozen=True)
class ScheduleSpec:
    frequency: str  # daily, weekly, monthly
    day: str | None
    time: str  # HH:MM
    timezone: str

    def trigger(self) -> CronTrigger:
        hour, minute = (int(part) for part in self.time.split(":"))
        fields = {"hour": hour, "minute": minute, "timezone": ZoneInfo(self.timezone)}
        if self.frequency == "weekly":
            fields["day_of_week"] = self.day
        elif self.frequency == "monthly":
            fields["day"] = int(self.day)
        return CronTrigger(**fields)

    def next_run(self, now: datetime) -> datetime:
        return self.trigger().get_next_fire_time(None, now)

    def due_slot(self, now: datetime, max_late: timedelta = MAX_LATE) -> datetime | None:
        """The latest fire time in (now - max_late, now], or None. A slot missed during downtime is posted
        once if it is less than `max_late` late; older slots, and all but the latest, are never posted."""
        trigger = self.trigger()
        latest = None
        fire = trigger.get_next_fire_time(None, now - max_late + timedelta(microseconds=1))
        while fire is not None and fire <= now:
            latest = fire
            fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
        return latest

    def describe(self) -> str:
        when = {
            "daily": "every day",
            "weekly": f"every {WEEKDAY_NAMES.get(self.day or '', self.day)}",
            "monthly": f"on day {self.day} of every month",
        }[self.frequency]
        return f"{when} at {self.time} ({self.timezone})"


def parse_schedule(text: str, default_timezone: str) -> ScheduleSpec:
    """`daily HH:MM [Area/City]`, `weekly <mon..sun> HH:MM [Area/City]`, `monthly <1-28> HH:MM [Area/City]`."""
    words = text.split()
    if not words or words[0].lower() not in ("daily", "weekly", "monthly"):
        raise ScheduleError("Say how often: daily, weekly or monthly.")
    frequency, rest = words[0].lower(), words[1:]
    day = None
    if frequency in ("weekly", "monthly"):
        if not rest:
            raise ScheduleError(f"A {frequency} schedule needs a day.")
        day, rest = rest[0].lower(), rest[1:]
        if frequency == "weekly" and day[:3] not in WEEKDAYS:
            raise ScheduleError(f"“{echo(day)}” is not a day of the week (mon, tue, wed, thu, fri, sat, sun).")
        if frequency == "weekly":
            day = day[:3]
        if frequency == "monthly" and not (day.isascii() and day.isdigit() and 1 <= int(day) <= 28):
            raise ScheduleError(f"“{echo(day)}” is not a day of the month from 1 to 28.")
    if not rest or not _TIME.match(rest[0]):
        raise ScheduleError(f"“{echo(rest[0]) if rest else ''}” is not a time of day in 24-hour HH:MM form.")
    hour, minute = _TIME.match(rest[0]).groups()
    time = f"{int(hour):02d}:{minute}"
    rest = rest[1:]
    if len(rest) > 1:
        raise ScheduleError(f"I don't understand “{echo(' '.join(rest))}”.")
    timezone = rest[0] if rest else default_timezone
    return ScheduleSpec(
        frequency=frequency,
        day=str(int(day)) if frequency == "monthly" else day,
        time=time,
        timezone=check_timezone(timezone),
    )


def check_timezone(name: str) -> str:
    if "/" not in name and name != "UTC":
        raise ScheduleError(f"“{echo(name)}” is not a time zone name like Europe/London.")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file name
        raise ScheduleError(f"“{echo(name)}” is not a time zone I know.") from None
    return name


def format_moment(moment: datetime, timezone: str) -> str:
    local = moment.astimezone(ZoneInfo(timezone))
    return local.strftime("%a %-d %b %Y, %H:%M %Z")
