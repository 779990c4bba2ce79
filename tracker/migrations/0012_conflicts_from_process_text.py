"""One conflict per distinct free-text conflict of the processes; then the text goes and
every process must belong to a conflict."""

import django.db.models.deletion
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

from tracker.slugs import slug_from


def conflicts_from_text(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # Check the new foreign keys now, so that the table can be altered afterwards.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    Conflict = apps.get_model("tracker", "Conflict")
    Process = apps.get_model("tracker", "Process")
    HistoricalProcess = apps.get_model("tracker", "HistoricalProcess")
    names = sorted(
        set(Process.objects.values_list("conflict_text", flat=True))
        | set(HistoricalProcess.objects.values_list("conflict_text", flat=True))
    )
    taken = set(Conflict.objects.values_list("slug", flat=True))
    for name in names:
        base = slug_from(name) or "conflict"
        slug, n = base, 1
        while slug in taken:
            n += 1
            slug = f"{base[:95]}-{n}"
        taken.add(slug)
        conflict = Conflict.objects.create(name=name, slug=slug)
        moved = Process.objects.filter(conflict_text=name).update(conflict=conflict)
        # Said by name, as every data migration here says what it writes.
        print(f"\n  created conflict {slug} “{name}” for {moved} process(es)", end="")
        HistoricalProcess.objects.filter(conflict_text=name).update(conflict=conflict)


def conflicts_to_text(apps, schema_editor):
    Conflict = apps.get_model("tracker", "Conflict")
    Process = apps.get_model("tracker", "Process")
    HistoricalProcess = apps.get_model("tracker", "HistoricalProcess")
    for conflict in Conflict.objects.all():
        Process.objects.filter(conflict=conflict).update(conflict_text=conflict.name)
        HistoricalProcess.objects.filter(conflict=conflict).update(conflict_text=conflict.name)


ROLES = {
    "Editor": ["add_conflict", "change_conflict", "view_conflict"],
    "Publisher": ["add_conflict", "change_conflict", "view_conflict", "delete_conflict"],
}


def grant_roles(apps, schema_editor):
    """Editors and publishers manage conflicts as they do the other records."""
    # Permissions are normally created after all migrations ran; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLES.items():
        group = Group.objects.filter(name=name).first()
        if group:
            group.permissions.add(
                *Permission.objects.filter(content_type__app_label="tracker", codename__in=codenames)
            )


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0011_conflict"),
    ]

    operations = [
        migrations.RunPython(conflicts_from_text, conflicts_to_text),
        migrations.RunPython(grant_roles, migrations.RunPython.noop),
        migrations.RemoveField(model_name="historicalprocess", name="conflict_text"),
        migrations.RemoveField(model_name="process", name="conflict_text"),
        migrations.AlterField(
            model_name="process",
            name="conflict",
            field=models.ForeignKey(
                help_text="The war or dispute this track tries to settle.",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="processes",
                to="tracker.conflict",
                verbose_name="conflict",
            ),
        ),
    ]
