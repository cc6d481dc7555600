from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp

from sombrilla.accounts.models import Authenticator


class Command(BaseCommand):
    help = "Print the current two-factor code of a demo account (demo mode only)."

    def add_arguments(self, parser):
        parser.add_argument("pseudonym")

    def handle(self, *args, pseudonym, **options):
        if not settings.DEMO:
            raise CommandError("demo_totp runs only in demo mode.")
        device = Authenticator.objects.filter(user__pseudonym_key=pseudonym.casefold(), confirmed=True).first()
        if device is None:
            raise CommandError(f"{pseudonym} has no authenticator.")
        self.stdout.write(f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}")
