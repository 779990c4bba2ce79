"""Bookkeeping on every write path (issue 10): whatever writes the record moves the record-
wide version, moves the version of every curated record it changes (and of every event
whose parts it changes), and writes history for every row it writes. A write that changes
anything but events and their parts also moves the record's shared number, which event
pages are cached by (issue 18): together with the events' versions it must move with
everything an event's page shows.

The write paths are collected, not listed by hand: every ModelAdmin of the tracker in the
admin registry (its add, change and delete pages, each of its inlines, each of its
actions), every management command of the tracker app, the import, the revert of an
import and the seed loader. A command added without saying how to run it here fails.
"""

import io

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.core.management import call_command, get_commands
from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator
from django.db import connection, models
from django.urls import reverse

from tests.csvfiles import edit, export_all, import_texts
from tests.factories import make_full_record
from tracker.imports.undo import revert_batch
from tracker.models import Event, RecordVersion
from tracker.models.base import Record
from tracker.seeds import load_seeds

pytestmark = pytest.mark.django_db

SEEDS = settings.BASE_DIR / "seeds"
BOOKKEEPING = {"version", "updated_at", "changed_by_id"}
#: Which events a part of an event belongs to.
OWNERS = {
    "Participation": ["event_id"],
    "Outcome": ["event_id"],
    "Citation": ["event_id"],
    "EventLink": ["from_event_id", "to_event_id"],
    "Implementation": ["event_id", "outcome__event_id"],
}


def tracker_models():
    return [
        m
        for m in apps.get_app_config("tracker").get_models()
        if hasattr(m, "history") and not m._meta.object_name.startswith("Historical")
    ]


def capture():
    rows = {}
    for model in tracker_models():
        names = [f.attname for f in model._meta.concrete_fields if f.attname not in BOOKKEEPING]
        names += [f"{n}" for n in OWNERS.get(model.__name__, []) if "__" in n]
        rows[model.__name__] = {r["id"]: r for r in model.objects.values(*names)}
    versions = {
        m.__name__: dict(m.objects.values_list("pk", "version"))
        for m in tracker_models()
        if issubclass(m, Record)
    }
    history = {m.__name__: m.history.count() for m in tracker_models()}
    return {
        "rows": rows,
        "versions": versions,
        "history": history,
        "record": RecordVersion.current()[0],
        "shared": RecordVersion.current_shared(),
    }


def kept_by_event_versions(name):
    return getattr(apps.get_model("tracker", name), "kept_by_event_versions", False)


def changed_rows(before, after, name):
    old, new = before["rows"][name], after["rows"][name]
    return [pk for pk in set(old) | set(new) if old.get(pk) != new.get(pk)], old, new


def assert_bookkeeping(path, write, *, writes=True):
    """Run ``write`` and check its bookkeeping; ``writes=False``: it must write nothing."""
    before = capture()
    write()
    check(path, before, capture(), writes=writes)


def check(path, before, after, *, writes):
    changed = {name: changed_rows(before, after, name) for name in before["rows"]}
    changed = {name: c for name, c in changed.items() if c[0]}
    if not writes:
        assert not changed, f"{path} wrote {sorted(changed)}"
        assert after["record"] == before["record"], path
        assert after["shared"] == before["shared"], path
        return
    assert changed, f"{path} wrote nothing"
    assert after["record"] > before["record"], f"{path}: the record-wide version did not move"
    beyond_events = sorted(name for name in changed if not kept_by_event_versions(name))
    if beyond_events:
        assert after["shared"] > before["shared"], (
            f"{path} changed {beyond_events} but the shared number did not move"
        )
    events = set()
    for name, (pks, old, new) in changed.items():
        assert after["history"][name] > before["history"][name], f"{path}: no history for {name}"
        if name in before["versions"]:
            for pk in pks:
                if pk in after["versions"][name]:
                    was = before["versions"][name].get(pk, 0)
                    assert after["versions"][name][pk] > was, (
                        f"{path}: {name} {pk} kept version {was}"
                    )
        for pk in pks:
            for field in OWNERS.get(name, []):
                events |= {row[field] for row in (old.get(pk), new.get(pk)) if row and row[field]}
    was, now = before["versions"]["Event"], after["versions"]["Event"]
    still = [pk for pk in events if pk in was and pk in now and now[pk] <= was[pk]]
    assert not still, f"{path}: events {still} did not move on though their parts changed"


@pytest.fixture
def record(client):
    """One of everything, and an import to revert."""
    record = make_full_record()
    texts = export_all(client)
    import_texts({"events": edit(texts["events"], lambda row: row.update(summary="Imported."))})
    return record


# The admin -----------------------------------------------------------------------------


def tracker_admins():
    return [(m, a) for m, a in admin.site._registry.items() if m._meta.app_label == "tracker"]


COPIES = iter(range(1, 10_000))


def altered(value, field):
    """Another valid value for a form field, so that a copy of a record is not a duplicate."""
    if getattr(field, "choices", None) and not isinstance(field, models.ForeignKey):
        values = [str(v) for v, _label in field.flatchoices if v != ""]
        return values[(values.index(value) + 1) % len(values)] if value in values else values[0]
    if isinstance(field, models.URLField | models.SlugField):
        return f"{value}-copy-{next(COPIES)}"
    return f"{value} (copy {next(COPIES)})"


def _alterable(field):
    return not field.is_relation and isinstance(field, models.CharField)


def unique_names(model):
    """Fields to alter so that a copy breaks no unique field or constraint."""
    names = {f.name for f in model._meta.fields if f.unique and _alterable(f)}
    for constraint in model._meta.constraints:
        fields = [model._meta.get_field(n) for n in getattr(constraint, "fields", ())]
        names |= {f.name for f in fields if _alterable(f)} and {
            next(f.name for f in fields if _alterable(f))
        }
    return names


def form_data(client, admin_form_data, model, obj):
    return admin_form_data(
        client.get(reverse(f"admin:tracker_{model._meta.model_name}_change", args=[obj.pk]))
    )


def add_copy(client, admin_form_data, model, obj):
    """POST the add page with a copy of ``obj``'s form, its unique fields altered and no
    inline rows; returns the new record."""
    data = form_data(client, admin_form_data, model, obj)
    data = {
        k: v
        for k, v in data.items()
        if "-" not in k or k.endswith(("TOTAL_FORMS", "INITIAL_FORMS"))
    }
    for key in data:
        if key.endswith(("TOTAL_FORMS", "INITIAL_FORMS")):
            data[key] = "0"
    for name in unique_names(model):
        if name in data:
            data[name] = altered(data[name], model._meta.get_field(name))
    existing = set(model.objects.values_list("pk", flat=True))
    response = client.post(reverse(f"admin:tracker_{model._meta.model_name}_add"), data)
    assert response.status_code == 302, (
        model,
        response.context and response.context["adminform"].form.errors,
    )
    return model.objects.exclude(pk__in=existing).get()


def editable_text(form_fields, model):
    """A form field to change: free text if there is one, else a choice."""
    fields = []
    for name in form_fields:
        try:
            fields.append(model._meta.get_field(name))
        except Exception:
            continue
    for field in fields:
        if isinstance(field, models.CharField | models.TextField) and not field.choices:
            plain = not isinstance(field, models.SlugField | models.URLField)
            if plain and all(
                isinstance(v, MaxLengthValidator | ProhibitNullCharactersValidator)
                for v in field.validators
            ):
                return field.name
    for field in fields:
        if field.choices and not field.is_relation:
            return field.name
    raise AssertionError(f"nothing to change on {model.__name__}")


def change(client, admin_form_data, model, obj):
    url = reverse(f"admin:tracker_{model._meta.model_name}_change", args=[obj.pk])
    response = client.get(url)
    data = admin_form_data(response)
    name = editable_text(response.context["adminform"].form.fields, model)
    data[name] = altered(data[name], model._meta.get_field(name))
    assert client.post(url, data).status_code == 302


def change_inline(client, admin_form_data, model, obj, inline_index):
    url = reverse(f"admin:tracker_{model._meta.model_name}_change", args=[obj.pk])
    response = client.get(url)
    data = admin_form_data(response)
    formset = response.context["inline_admin_formsets"][inline_index].formset
    assert formset.forms, f"{model.__name__} {obj} has no {formset.model.__name__} to change"
    form = formset.forms[0]
    name = editable_text(
        {n: f for n, f in form.fields.items() if n not in ("id", "DELETE")}, formset.model
    )
    key = form.add_prefix(name)
    data[key] = altered(data[key], formset.model._meta.get_field(name))
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]


@pytest.mark.parametrize(
    ("model", "model_admin"), tracker_admins(), ids=lambda x: getattr(x, "__name__", "")
)
def test_every_admin_page_keeps_the_bookkeeping(
    client, superuser, admin_form_data, record, model, model_admin
):
    client.force_login(superuser)
    if not model_admin.has_add_permission(_request(superuser)):
        assert not model_admin.has_change_permission(_request(superuser))
        assert not model_admin.has_delete_permission(_request(superuser))
        return  # a read-only page (the imports): its revert is a write path below
    obj = model.objects.order_by("pk").first()
    copy = None

    def add():
        nonlocal copy
        copy = add_copy(client, admin_form_data, model, obj)

    assert_bookkeeping(f"{model.__name__} add", add)
    assert_bookkeeping(
        f"{model.__name__} change", lambda: change(client, admin_form_data, model, copy)
    )
    for n, inline in enumerate(model_admin.get_inline_instances(_request(superuser), obj)):
        path = f"{model.__name__} inline {type(inline).__name__}"
        fk = inline.fk_name or inline.model._meta.get_field(model._meta.model_name).name
        owner = model.objects.filter(pk__in=inline.model.objects.values(fk)).order_by("pk").first()
        assert owner is not None, f"{path}: the record has no row to change"
        assert_bookkeeping(
            path, lambda n=n, owner=owner: change_inline(client, admin_form_data, model, owner, n)
        )
    url = reverse(f"admin:tracker_{model._meta.model_name}_delete", args=[copy.pk])
    assert_bookkeeping(f"{model.__name__} delete", lambda: client.post(url, {"post": "yes"}))


def _request(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = user
    return request


@pytest.mark.parametrize(
    ("model", "model_admin"), tracker_admins(), ids=lambda x: getattr(x, "__name__", "")
)
def test_every_admin_action_keeps_the_bookkeeping(
    client, superuser, admin_form_data, record, model, model_admin
):
    client.force_login(superuser)
    if model is Event:
        Event.objects.filter(slug="exchange").update(status="draft")
    url = reverse(f"admin:tracker_{model._meta.model_name}_changelist")
    for name in model_admin.get_actions(_request(superuser)):
        if model_admin.has_add_permission(_request(superuser)):
            target = add_copy(client, admin_form_data, model, model.objects.order_by("pk").first())
            selected = (
                [target.pk]
                if name == "delete_selected"
                else list(model.objects.values_list("pk", flat=True))
            )
        else:
            selected = list(model.objects.values_list("pk", flat=True))
        data = {"action": name, "_selected_action": selected, "post": "yes"}
        before = capture()
        response = client.post(url, data)
        after = capture()
        if after == before:  # an action that only reads (the CSV export)
            assert getattr(response, "streaming", False), f"{model.__name__} action {name}"
        else:
            check(f"{model.__name__} action {name}", before, after, writes=True)


# Commands, import, revert, seeds ---------------------------------------------------------------


def changed_files(client, tmp_path):
    texts = export_all(client)
    texts["events"] = edit(
        texts["events"], lambda row: row.update(title=row["title"] + " (corrected)")
    )
    paths = []
    for name, text in texts.items():
        path = tmp_path / f"{name}.csv"
        path.write_text(text, encoding="utf-8", newline="")
        paths.append(str(path))
    return texts, paths


#: How to run each of the tracker's commands here, and whether it writes the record.
COMMANDS = {
    "import_csv": (
        "writes",
        lambda files: call_command("import_csv", *files, stdout=io.StringIO()),
    ),
    "loadseeds": (
        "writes",
        lambda files: call_command("loadseeds", dir=str(SEEDS), stdout=io.StringIO()),
    ),
    "export_csv": (
        "reads",
        lambda files: call_command(
            "export_csv", dir=str(files[0].rsplit("/", 1)[0]), stdout=io.StringIO()
        ),
    ),
    "sync_roles": ("reads", lambda files: call_command("sync_roles", stdout=io.StringIO())),
    "ensure_local_superuser": ("reads", None),  # a user, not the record; debug mode only
    "generate_demo": (
        "writes",
        lambda files: call_command(
            "generate_demo",
            events=20,
            force=str(connection.settings_dict["NAME"]),
            stdout=io.StringIO(),
        ),
    ),
    "backup": (
        "reads",
        lambda files: call_command(
            "backup", output=str(files[0].rsplit("/", 1)[0]), stdout=io.StringIO()
        ),
    ),
    # Puts a backup back into an empty database exactly as it was, history and versions
    # included, and refuses a database that holds a record (tests/test_backup.py).
    "restore": ("reads", None),
    # Writes a release of the record (its own rows and files), not the record; moves the
    # record-wide version so that pages cite it (tests/test_releases.py).
    "release": ("reads", None),
}


def test_every_command_of_the_tracker_is_known_here():
    tracker_commands = {name for name, app in get_commands().items() if app == "tracker"}
    assert tracker_commands == set(COMMANDS)


@pytest.mark.parametrize(
    "name", sorted(name for name, app in get_commands().items() if app == "tracker")
)
def test_every_command_keeps_the_bookkeeping(client, record, tmp_path, name):
    kind, run = COMMANDS[name]
    if run is None:
        return
    _texts, files = changed_files(client, tmp_path)
    assert_bookkeeping(f"command {name}", lambda: run(files), writes=kind == "writes")


def test_import_revert_and_seed_loading_keep_the_bookkeeping(client, record):
    texts = export_all(client)
    texts["outcomes"] = edit(texts["outcomes"], lambda row: row.update(status="broken"))
    texts["participations"] = edit(texts["participations"], lambda row: row.update(note="Checked."))
    reports = []
    assert_bookkeeping("import", lambda: reports.append(import_texts(texts)))
    assert_bookkeeping("revert", lambda: revert_batch(batch=reports[0].batch, user=None))
    assert_bookkeeping("seed loading", lambda: load_seeds(directory=SEEDS))
    assert_bookkeeping("seed loading again", lambda: load_seeds(directory=SEEDS), writes=False)
    assert_bookkeeping("unchanged import", lambda: import_texts(export_all(client)), writes=False)


def test_the_first_published_stamp_is_kept_by_import_and_seed_loader(client, db):
    """Every published event the seed loader or an import writes is stamped once, when it
    is first published; a draft is not; loading again keeps the stamp."""
    from django.conf import settings

    from tests.csvfiles import edit, export_all, import_texts
    from tracker.models import Event
    from tracker.seeds import load_seeds

    load_seeds(directory=settings.BASE_DIR / "seeds")
    published = Event.objects.filter(status=Event.Status.PUBLISHED)
    assert published.exists()
    assert not published.filter(published_at__isnull=True).exists()
    stamps = dict(published.values_list("slug", "published_at"))
    load_seeds(directory=settings.BASE_DIR / "seeds")
    assert dict(published.values_list("slug", "published_at")) == stamps

    texts = export_all(client)
    header, first = texts["events"].split("\r\n")[:2]
    for slug, status in (("imported-draft", "draft"), ("imported-published", "published")):

        def copy(row, slug=slug, status=status):
            row.update(id="", slug=slug, status=status)

        row = edit(f"{header}\r\n{first}\r\n", copy)
        import_texts({"events": row})
    assert Event.objects.get(slug="imported-draft").published_at is None
    stamp = Event.objects.get(slug="imported-published").published_at
    assert stamp is not None
    assert dict(published.filter(slug__in=stamps).values_list("slug", "published_at")) == stamps
