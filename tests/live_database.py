"""Steps run in a subprocess against the live server's database (see test_concurrency).

``python -c "from tests.live_database import main; main()" <step>`` with DATABASE_URL
and DJANGO_SETTINGS_MODULE set: the same settings, hence the same connection options,
as the server.

- ``prepare``: migrate, then create two editors, a publisher and three events; print
  their ids.
- ``long_record``: migrate, then create 10,001 published events with long summaries:
  every export of them is a long one (``tracker.export_slots``).
- ``report``: print every event's title and version.
- ``hold``: open a write transaction as an import does (moving the record-wide version
  on, then writing a few megabytes: more than SQLite's page cache), print ``holding`` and
  keep the transaction open until a line arrives on stdin; then roll back.
"""

import datetime
import json
import sys


def prepare():
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command

    from tracker.models import Conflict, Event, Process

    call_command("migrate", verbosity=0)
    for name, group in (("olena", "Editor"), ("taras", "Editor"), ("petra", "Publisher")):
        user = User.objects.create_user(name, password="pw", is_staff=True)
        user.groups.add(Group.objects.get(name=group))
    process = Process.objects.create(title="Live talks", slug="live", conflict=a_war(Conflict))
    events = {
        name: Event.objects.create(
            process=process,
            kind=Event.Kind.ROUND_OF_TALKS,
            title=f"Event {name}",
            slug=f"event-{name}",
            start_date=datetime.date(2025, 5, 16),
            status=Event.Status.PUBLISHED,
            published_at=datetime.datetime(2025, 5, 16, tzinfo=datetime.UTC),
        ).pk
        for name in ("a", "b", "c")
    }
    print(json.dumps(events))


def a_war(conflict_model):
    return conflict_model.objects.get_or_create(slug="a-war", defaults={"name": "A war"})[0]


def long_record():
    from django.core.management import call_command

    from tracker.models import Conflict, Event, Process, RecordVersion

    call_command("migrate", verbosity=0)
    process = Process.objects.create(title="Long talks", slug="long", conflict=a_war(Conflict))
    Event.objects.bulk_create(
        (
            Event(
                process=process,
                kind=Event.Kind.STATEMENT if n else Event.Kind.SUMMIT,
                title=f"Statement {n}",
                slug=f"statement-{n}",
                start_date=datetime.date(2025, 1, 1) + datetime.timedelta(days=n % 365),
                summary="A long summary. " * 120,
                status=Event.Status.PUBLISHED,
            )
            for n in range(10_001)
        ),
        batch_size=1000,
    )
    RecordVersion.bump()
    print(json.dumps({"events": Event.objects.count()}))


def report():
    from tracker.models import Event

    print(
        json.dumps(
            {
                pk: [title, version]
                for pk, title, version in Event.objects.values_list("pk", "title", "version")
            }
        )
    )


def hold():
    from django.db import transaction

    from tracker.models import Conflict, Event, Process, RecordVersion

    with transaction.atomic():
        RecordVersion.bump()
        process = Process.objects.create(title="Bulk", slug="bulk", conflict=a_war(Conflict))
        Event.objects.bulk_create(
            Event(
                process=process,
                kind=Event.Kind.OTHER,
                title=f"Bulk event {n}",
                slug=f"bulk-{n}",
                start_date=datetime.date(2025, 1, 1),
                summary="x" * 1000,
            )
            for n in range(4000)
        )
        print("holding", flush=True)
        sys.stdin.readline()
        transaction.set_rollback(True)


def main():
    import django

    django.setup()
    {"prepare": prepare, "long_record": long_record, "report": report, "hold": hold}[sys.argv[1]]()
