from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from tracker.models import Release
from tracker.releases import ReleaseRefused, cut_release, summary_lines, withdraw_release


class Command(BaseCommand):
    help = (
        "Cut a release of the published record (the four CSV files and datapackage.json, "
        "served at /data/releases/<version>/ and never changed), or withdraw one with "
        "--withdraw VERSION --reason TEXT. --by names the publisher who does it."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--by", required=True, metavar="USERNAME", help="The publisher cutting or withdrawing."
        )
        parser.add_argument("--withdraw", metavar="VERSION", help="Withdraw this release.")
        parser.add_argument("--reason", default="", help="Why it is withdrawn (shown publicly).")

    def handle(self, *args, by, withdraw, reason, **options):
        user = get_user_model().objects.filter(username=by).first()
        if user is None:
            raise CommandError(_("No user is called %(name)s.") % {"name": by})
        try:
            if withdraw:
                self.withdraw(withdraw, reason, user)
            else:
                self.cut(user)
        except (ReleaseRefused, PermissionDenied) as refused:
            raise CommandError(str(refused)) from refused

    def cut(self, user):
        self.stdout.write(_("Cutting a release of the published record…"))
        release = cut_release(by=user)
        for line in summary_lines(release.changes):
            self.stdout.write(f"  {line}")
        self.stdout.write(
            self.style.SUCCESS(
                _("Cut release %(version)s: %(count)d events, files at %(url)s")
                % {
                    "version": release.version,
                    "count": release.event_count,
                    "url": release.get_absolute_url(),
                }
            )
        )

    def withdraw(self, version, reason, user):
        release = Release.objects.filter(version=version).first()
        if release is None:
            raise CommandError(_("There is no release %(version)s.") % {"version": version})
        withdraw_release(release=release, reason=reason, by=user)
        self.stdout.write(
            self.style.SUCCESS(
                _("Withdrew release %(version)s; its files are kept and listed as withdrawn.")
                % {"version": version}
            )
        )
