"""The two editorial roles, as groups of permissions.

Editor: adds and changes every part of the record; cannot publish or delete.
Publisher: everything an editor does, plus publishing, deleting, and cutting and
withdrawing releases (editors see releases in the admin).

Migration 0002 created the groups; ``manage.py sync_roles`` brings them in line with
this module again (after new models are added, say).
"""

from django.contrib.auth.models import Group, Permission

RECORD_MODELS = [
    "conflict",
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

ROLES = {
    "Editor": [
        *(f"{a}_{m}" for m in RECORD_MODELS for a in ("add", "change", "view")),
        "view_release",
    ],
}
ROLES["Publisher"] = [
    *ROLES["Editor"],
    *(f"delete_{model}" for model in RECORD_MODELS),
    "publish_event",
    # Cut a release (add) and withdraw one (change): tracker.releases.
    "add_release",
    "change_release",
]


def sync_roles():
    """Create the groups if needed and give each exactly its permissions."""
    for name, codenames in ROLES.items():
        group, _created = Group.objects.get_or_create(name=name)
        permissions = Permission.objects.filter(
            content_type__app_label="tracker", codename__in=codenames
        )
        group.permissions.set(permissions)
