"""Existing events: an approximate date moves to the first day of its period (each one
moved is listed), and every event gets its sort date and search text."""

from django.db import migrations

from tracker.models.periods import period_start, sort_date
from tracker.text import search_key


def normalise_and_derive(apps, schema_editor):
    Event = apps.get_model("tracker", "Event")
    Participation = apps.get_model("tracker", "Participation")
    names = {}
    for event_id, *parts in Participation.objects.values_list(
        "event_id", "person__name", "party__name", "title"
    ):
        names.setdefault(event_id, []).extend(p for p in parts if p)
    events = list(Event.objects.order_by("pk"))
    for event in events:
        first = period_start(event.start_date, event.date_precision)
        if first != event.start_date:
            print(
                f"\n  event {event.pk} “{event.slug}”: {event.date_precision} precision, "
                f"start date {event.start_date.isoformat()} → {first.isoformat()}",
                end="",
            )
            event.start_date = first
            if event.end_date and event.end_date < first:
                event.end_date = None
        event.sort_date = sort_date(event.start_date, event.date_precision, event.period_position)
        own = [event.title, event.summary, event.venue, event.city, event.region]
        event.search_text = "\n".join(
            search_key(part) for part in (*own, *names.get(event.pk, [])) if part
        )
    Event.objects.bulk_update(
        events, ["start_date", "end_date", "sort_date", "search_text"], batch_size=500
    )


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0013_event_period_position_sort_date_search_text"),
    ]

    operations = [
        migrations.RunPython(normalise_and_derive, migrations.RunPython.noop, elidable=True),
    ]
