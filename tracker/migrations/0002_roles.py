"""The two editorial roles, as groups.

Editor: adds and changes every part of the record, cannot publish or delete.
Publisher: everything an editor does, plus publishing and deleting.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

RECORD_MODELS = [
    "process",
    "party",
    "person",
    "event",
    "participation",
    "outcome",
    "implementation",
    "source",
    "citation",
    "eventlink",
]

EDITOR = [f"{action}_{model}" for model in RECORD_MODELS for action in ("add", "change", "view")]
PUBLISHER = [*EDITOR, *(f"delete_{model}" for model in RECORD_MODELS), "publish_event"]


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations ran; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in (("Editor", EDITOR), ("Publisher", PUBLISHER)):
        group, _created = Group.objects.get_or_create(name=name)
        permissions = Permission.objects.filter(
            content_type__app_label="tracker", codename__in=codenames
        )
        missing = set(codenames) - set(permissions.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"Permissions missing for role {name}: {sorted(missing)}")
        group.permissions.set(permissions)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Editor", "Publisher"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
