"""The backup round trip's working parts, shared by tests/test_backup.py and the CI drill.

- :func:`make_admin_history`: editors, a publisher and an administrator at work in the real
  admin (edits, a deletion, a group made in the admin, a user in each group, a release
  cut), so that a backup has history, users, groups and release files worth restoring;
- :func:`save_new_records`: a new person, source and event saved after a restore, which
  fails where id sequences were left behind the restored rows;
- :func:`differences`: what differs between databases, compared table by table by
  natural key from ``manage.py dumpdata --natural-foreign --natural-primary`` (Django's own
  reading of every table, independent of the backup code).

From the command line, against the database in ``DATABASE_URL``::

    manage.py shell -c "from tests import backup_drill; backup_drill.make_admin_history()"
    manage.py shell -c "from tests import backup_drill; backup_drill.save_new_records()"
    manage.py shell -c "from tests import backup_drill; backup_drill.dump_to('a.json')"
    manage.py shell -c "from tests import backup_drill; backup_drill.compare('a.json', 'b.json')"
"""

import json
from collections import defaultdict
from pathlib import Path

from django.contrib.auth.models import Group, Permission
from django.db.models import Count
from django.test import Client
from django.test.utils import setup_test_environment
from django.urls import reverse

from tests.admin_forms import admin_form_data
from tests.factories import make_user
from tracker.models import Event, Outcome, Party, Person, Process, Release, Source


def dumpdata():
    """dumpdata by natural key, of every table a backup holds: ``--exclude`` each one
    ``tracker.backup.LEFT_OUT`` names."""
    from tracker.backup import LEFT_OUT

    excluded = [option for label in sorted(LEFT_OUT) for option in ("--exclude", label)]
    return ["dumpdata", "--natural-foreign", "--natural-primary", *excluded]


def make_admin_history(client=None):
    """Edit the record through the admin as its users would. Needs a record with an outcome
    agreed by two parties and at least two events (the seeds, or ``make_full_record``)."""
    if client is None:
        setup_test_environment()
        # As production's requests arrive: through the TLS-terminating proxy.
        client = Client(headers={"X-Forwarded-Proto": "https"})
    root = make_user("root-drill", is_superuser=True)
    editor = make_user("olena", groups=["Editor"])
    publisher = make_user("taras", groups=["Publisher"])
    publisher.user_permissions.add(Permission.objects.get(codename="view_logentry"))

    client.force_login(root)
    view_event = Permission.objects.get(codename="view_event")
    _post(client, reverse("admin:auth_group_add"), name="Archivists", permissions=[view_event.pk])
    make_user("iryna", groups=["Archivists"])

    outcome = (
        Outcome.objects.annotate(parties=Count("agreed_by"))
        .filter(parties__gte=2)
        .select_related("event")
        .order_by("pk")
        .first()
    )
    event = outcome.event
    client.force_login(editor)
    _change(client, "tracker_event", event.pk, title=f"{event.title} (edited)")
    participation = event.participations.order_by("pk").first()
    _change(client, "tracker_participation", participation.pk, note="Confirmed by a second source.")
    _change(client, "tracker_outcome", outcome.pk, agreed_by=_agreed_by_but_one(outcome))

    client.force_login(publisher)
    person = Person.objects.order_by("pk").first()
    _change(client, "tracker_person", person.pk, name=f"{person.name} (edited)")
    # The last event made: a restore must not give its id (and its history) to a new one.
    doomed = Event.objects.exclude(pk=event.pk).order_by("-pk").first()
    _post(client, reverse("admin:tracker_event_delete", args=[doomed.pk]), post="yes")
    # A release: its files go into the backup, and the restore checks them.
    _post(client, reverse("admin:tracker_release_cut"))
    if not Release.objects.exists():
        raise AssertionError("The admin cut no release")


def _agreed_by_but_one(outcome):
    return [str(pk) for pk in outcome.agreed_by.order_by("pk").values_list("pk", flat=True)[1:]]


def _change(client, admin_name, pk, **changes):
    url = reverse(f"admin:{admin_name}_change", args=[pk])
    page = client.get(url)
    assert page.status_code == 200, f"{url}: {page.status_code}"
    _post(client, url, **(admin_form_data(page) | changes))


def _post(client, url, **data):
    response = client.post(url, data)
    if response.status_code != 302:
        errors = response.context.get("errors") if response.context else response.status_code
        raise AssertionError(f"The admin refused {url}: {errors}")


def save_new_records():
    """Save a new person, source and event as the admin would, each with its history row."""
    user = Group.objects.get(name="Editor").user_set.order_by("pk").first()
    reason = "Added after a restore"
    person = Person(
        name="Новий учасник", slug="new-person-after-restore", party=Party.objects.first()
    )
    source = Source(url="https://example.org/after-restore", publisher="Example", title="New")
    event = Event(
        process=Process.objects.first(),
        kind=Event.Kind.STATEMENT,
        title="Saved after a restore",
        slug="saved-after-a-restore",
        start_date=Event.objects.order_by("-start_date").first().start_date,
    )
    for record in (person, source, event):
        record.mark_changed(by=user, reason=reason)
        record.save()
        rows = record.history.count()
        assert rows == 1, f"{record!r} has {rows} history rows, not just its own one"
    return person, source, event


# Comparing databases -----------------------------------------------------------------------


def normalised(dump):
    """``dumpdata`` JSON as ``{model: sorted rows}``, each row with its lists sorted, so
    that two databases compare equal when they hold the same rows by natural key."""
    tables = defaultdict(list)
    for obj in json.loads(dump):
        fields = {
            name: sorted(value, key=json.dumps) if isinstance(value, list) else value
            for name, value in obj["fields"].items()
        }
        tables[obj["model"]].append(
            json.dumps({"pk": obj.get("pk"), "fields": fields}, sort_keys=True, ensure_ascii=False)
        )
    return {model: sorted(rows) for model, rows in sorted(tables.items())}


def differences(dumps):
    """What differs between ``{name: dumpdata JSON}``, each compared with the first."""
    named = {name: normalised(dump) for name, dump in dumps.items()}
    (first, expected), *others = named.items()
    problems = []
    for name, tables in others:
        for model in sorted(set(expected) | set(tables)):
            ours, theirs = expected.get(model, []), tables.get(model, [])
            if ours != theirs:
                only_first = sorted(set(ours) - set(theirs))[:1]
                only_other = sorted(set(theirs) - set(ours))[:1]
                problems.append(
                    f"{model}: {len(ours)} rows in {first}, {len(theirs)} in {name}; "
                    f"only in {first}: {only_first}; only in {name}: {only_other}"
                )
    return problems


def dump_to(path):
    """Write every table a backup holds, by natural key, to ``path`` (dumpdata's JSON)."""
    from django.core.management import call_command

    call_command(*dumpdata(), output=str(path), verbosity=0)


def compare(*paths):
    """Compare dumpdata files by natural key; raise naming every table that differs."""
    dumps = {path: Path(path).read_text(encoding="utf-8") for path in paths}
    problems = differences(dumps)
    if problems:
        raise AssertionError("The databases differ:\n" + "\n".join(problems))
    tables = normalised(next(iter(dumps.values())))
    rows = sum(len(r) for r in tables.values())
    print(f"Equal by natural key: {rows} rows in {len(tables)} models, in {len(paths)} databases.")
