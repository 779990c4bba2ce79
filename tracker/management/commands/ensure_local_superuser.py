import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Development only: make sure a local superuser exists, and print its generated "
        "password once, when it is created."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username, **options):
        if not settings.DEBUG:
            raise CommandError(
                "Refusing to create a superuser with a printed password outside debug mode; "
                "use 'manage.py createsuperuser'."
            )
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            self.stdout.write(
                "A superuser already exists; its password was printed when it was created "
                f"(reset it with: python manage.py changepassword {username})."
            )
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, email="", password=password)
        self.stdout.write(
            self.style.SUCCESS("Created a local superuser; log in at /admin/ once the server runs.")
        )
        self.stdout.write(f"    username: {username}\n    password: {password}")
        self.stdout.write("This password is shown only once.")
