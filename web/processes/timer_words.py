"""A timer's meaning in the reader's language, from what the engine's live check found
(engine.models.snippets.TimerMeaning as a dict): "每星期一 09:00，共 3 次", "every Monday
09:00, 3 times", with the next due times in the reader's time zone."""
from datetime import datetime

from babel.units import format_unit
from flask_babel import format_date, format_datetime, format_time, get_locale
from flask_babel import gettext as _

DAY, WEEK = 86_400, 7 * 86_400


def _when(due: datetime) -> str:
    return format_datetime(due, "yyyy-MM-dd HH:mm")


def interval_words(seconds: float) -> str:
    """'1 week', '1 hour 30 minutes', '1小时30分钟': every unit that is not zero."""
    locale = get_locale()
    seconds = int(round(seconds))
    weeks, rest = divmod(seconds, WEEK) if seconds % WEEK == 0 else (0, seconds)
    days, rest = divmod(rest, DAY)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [format_unit(n, unit, length="long", locale=locale) for n, unit in (
        (weeks, "duration-week"), (days, "duration-day"), (hours, "duration-hour"),
        (minutes, "duration-minute"), (secs, "duration-second")) if n]
    joiner = "" if locale and locale.language == "zh" else " "
    return joiner.join(parts) or format_unit(0, "duration-second", length="long", locale=locale)


def describe(timer: dict) -> str:
    due = [datetime.fromisoformat(d) for d in timer.get("due") or []]
    kind, seconds = timer.get("kind"), timer.get("seconds")
    if kind == "date":
        return _("once, at %(when)s", when=_when(due[0])) if due else ""
    interval = interval_words(seconds or 0)
    if kind == "duration":
        return _("%(interval)s after the task is reached", interval=interval)
    first = due[0] if due else None
    if first is not None and seconds == WEEK:
        words = _("every %(weekday)s %(time)s", weekday=format_date(first, "EEEE"),
                  time=format_time(first, "HH:mm"))
    elif first is not None and seconds == DAY:
        words = _("every day %(time)s", time=format_time(first, "HH:mm"))
    else:
        words = _("every %(interval)s", interval=interval)
    repetitions = timer.get("repetitions")
    if repetitions is None:
        return _("%(words)s, without end", words=words)
    return _("%(words)s, %(n)s times", words=words, n=repetitions)


def with_words(result: dict) -> dict:
    """A live check's result with the timer's description and due times worded."""
    timer = result.get("timer")
    if timer:
        timer["words"] = describe(timer)
        timer["due_words"] = [_when(datetime.fromisoformat(d)) for d in timer.get("due") or []]
    return result
