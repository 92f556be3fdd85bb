"""Seed the calendar from the ``chinese_calendar`` package, so a fresh database is ready.

Explicit days (statutory holidays, 调休 make-up working days) and the years the package covers
(marked known); later years stay unknown (provisional) until an administrator imports or confirms
them (``zhidu calendar import`` / ``confirm``), or ``zhidu calendar seed`` after upgrading the package.
"""

import uuid

from django.db import migrations
from django.utils import timezone


def seed(apps, schema_editor):
    from zhidu.calendar.seed import chinese_calendar_days, package_source

    CalendarDay = apps.get_model("workcalendar", "CalendarDay")
    CalendarYear = apps.get_model("workcalendar", "CalendarYear")
    CalendarVersion = apps.get_model("workcalendar", "CalendarVersion")
    explicit, years = chinese_calendar_days()
    source = package_source()
    existing = set(CalendarDay.objects.values_list("date", flat=True))
    CalendarDay.objects.bulk_create(
        [CalendarDay(date=d, working=w, kind=str(getattr(k, "value", k)), name=n, source=source)
         for d, (w, k, n) in sorted(explicit.items()) if d not in existing],
        batch_size=500,
    )
    known = set(CalendarYear.objects.values_list("year", flat=True))
    CalendarYear.objects.bulk_create(
        [CalendarYear(year=y, known=True, source=source) for y in years if y not in known]
    )
    CalendarVersion.objects.update_or_create(
        pk=1, defaults={"version": 1, "token": uuid.uuid4().hex, "changed_at": timezone.now()}
    )


def unseed(apps, schema_editor):
    for model in ("CalendarDay", "CalendarYear", "CalendarVersion"):
        apps.get_model("workcalendar", model).objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("workcalendar", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
