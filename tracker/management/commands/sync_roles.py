from django.core.management.base import BaseCommand

from tracker.roles import ROLES, sync_roles


class Command(BaseCommand):
    help = "Create the Editor and Publisher groups, or bring their permissions up to date."

    def handle(self, *args, **options):
        sync_roles()
        for name, codenames in ROLES.items():
            self.stdout.write(f"{name}: {len(codenames)} permissions")
