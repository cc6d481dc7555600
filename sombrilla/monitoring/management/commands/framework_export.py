"""`sombrilla framework_export CODE`: write a monitoring framework as YAML, to standard output or a file."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sombrilla.accounts.models import Organisation
from sombrilla.monitoring import selectors, services


class Command(BaseCommand):
    help = "Export a monitoring-and-evaluation framework as YAML (framework_import reads it back)."

    def add_arguments(self, parser):
        parser.add_argument("code", help="the framework's code, e.g. nswp-2022-25")
        parser.add_argument(
            "--organisation", metavar="SLUG", help="the organisation it belongs to (default: the network)"
        )
        parser.add_argument("--output", metavar="PATH", help="write to this file instead of standard output")

    def handle(self, *args, code, organisation=None, output=None, **options):
        owner = None
        if organisation:
            owner = Organisation.objects.filter(slug=organisation).first()
            if owner is None:
                raise CommandError(f"There is no organisation {organisation!r}.")
        framework = selectors.framework_find(code=code, organisation=owner)
        if framework is None:
            raise CommandError(f"There is no framework {code!r}" + (f" of {organisation!r}." if owner else "."))
        text = services.framework_export(framework=framework)
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stderr.write(f"Wrote {output}.")
        else:
            self.stdout.write(text, ending="")
