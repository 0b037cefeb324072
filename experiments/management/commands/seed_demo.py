from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from experiments.demo import LINKS_PRINTED, seed_demo, write_demo_links


class Command(BaseCommand):
    help = (
        "Load the five demo councils (closed waves with synthetic answers and their analysis) "
        "and an open wave, and print how to try them."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--seed", type=int, default=0, help="Seed of the synthetic answers (deterministic)."
        )
        parser.add_argument(
            "--links-file",
            type=Path,
            default=None,
            help="Where to write every invitation link (default VAR_DIR/demo-links.csv).",
        )

    def handle(self, *args, **options):
        summary = seed_demo(seed=options["seed"])
        base = settings.PUBLIC_BASE_URL
        self.stdout.write(self.style.SUCCESS("Demo loaded."))
        self.stdout.write(
            f"  Admin:  {base}/admin/  (user {summary.admin_username}, "
            f"password {summary.admin_password})"
        )
        for demo in summary.councils:
            self.stdout.write(
                f"  {demo.council.name}: results {base}/results/{demo.wave.pk}/  "
                f"(council admin {demo.admin_username})"
            )
        self.stdout.write(
            f"  Researcher: {summary.researcher_username} "
            f"(councils: {', '.join(summary.researcher_councils)}); "
            f"staff password {summary.staff_password}"
        )
        self.stdout.write(
            f"  Open wave: {summary.wave} — close it from the admin or with "
            f"`manage.py close_wave {summary.wave.pk}`"
        )
        for issued in summary.invitations[:LINKS_PRINTED]:
            self.stdout.write(f"  Invitation link: {issued.url}")
        if summary.welsh_wave is not None:
            self.stdout.write(
                f"  Welsh council's open wave: {summary.welsh_wave} — members prefer Welsh"
            )
            for issued in summary.welsh_invitations[:LINKS_PRINTED]:
                self.stdout.write(f"  Dolen wahodd / invitation link (Cymraeg): {issued.url}")
        path = options["links_file"] or Path(settings.VAR_DIR) / "demo-links.csv"
        count = write_demo_links(path, summary)
        self.stdout.write(f"  All {count} invitation links of the open waves: {path}")
