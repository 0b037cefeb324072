from django.conf import settings
from django.core.management.base import BaseCommand

from experiments.demo import seed_demo


class Command(BaseCommand):
    help = "Load the demo council, wave and invitations, and print how to try them."

    def handle(self, *args, **options):
        summary = seed_demo()
        base = settings.PUBLIC_BASE_URL
        self.stdout.write(self.style.SUCCESS("Demo loaded."))
        self.stdout.write(
            f"  Admin:  {base}/admin/  (user {summary.admin_username}, "
            f"password {summary.admin_password})"
        )
        self.stdout.write(
            f"  Wave:   {summary.wave} — close it from the admin or with "
            f"`manage.py close_wave {summary.wave.pk}`"
        )
        for issued in summary.invitations[:2]:
            self.stdout.write(f"  Invitation link: {issued.url}")
