"""`sombrilla framework_import PATH`: load a monitoring framework from a YAML file.

`sombrilla framework_import --shipped nswp-2022-25 --replace` loads (or brings up to date) the NSWP 2022-25
framework that ships with Sombrilla, as the network's framework; the demo calls it this way.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sombrilla.accounts.models import Organisation
from sombrilla.monitoring import selectors, services
from sombrilla.monitoring.framework_yaml import MAX_BYTES


class Command(BaseCommand):
    help = "Import a monitoring-and-evaluation framework from a YAML file, or one that ships with Sombrilla."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="the YAML file")
        parser.add_argument("--shipped", choices=sorted(services.SHIPPED), help="a framework shipped with Sombrilla")
        parser.add_argument(
            "--organisation", metavar="SLUG", help="the organisation it belongs to (default: the network)"
        )
        parser.add_argument("--replace", action="store_true", help="update a framework with the same code")

    def handle(self, *args, path=None, shipped=None, organisation=None, replace=False, **options):
        if bool(path) == bool(shipped):
            raise CommandError("Give either the path of a framework file or --shipped CODE.")
        owner = None
        if organisation:
            owner = Organisation.objects.filter(slug=organisation).first()
            if owner is None:
                raise CommandError(f"There is no organisation {organisation!r}.")
        file = services.SHIPPED[shipped] if shipped else Path(path)
        try:
            with file.open("rb") as handle:
                # One byte past the limit is enough for the import to refuse an oversized file.
                data = handle.read(MAX_BYTES + 1)
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}") from None
        try:
            framework = services.framework_import(data=data, organisation=owner, replace=replace)
        except services.MonitoringError as exc:
            raise CommandError(f"{file} was not imported:\n" + "\n".join(exc.errors)) from None
        counts = ", ".join(
            f"{number} {name}" for name, number in selectors.framework_counts(framework=framework).items()
        )
        self.stdout.write(f"Imported framework {framework.code}: {counts}.")
