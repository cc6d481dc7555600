"""Load the demo organisation and print its logins. Demo mode only: the passphrases here are public."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from sombrilla.accounts import services
from sombrilla.accounts.models import Account, Area, Authenticator, Membership, Organisation, Role

DEMO_PASSPHRASE = "demo-umbrella-river-7"  # noqa: S105 - public by design, demo mode only
# Fixed authenticator keys, so `sombrilla demo_totp carol` can print today's code for the demo.
DEMO_TOTP_KEYS = {
    "carol": "3132333435363738393031323334353637383930",
    "dana": "3132333435363738393031323334353637383931",
    "nina": "3132333435363738393031323334353637383932",
}
PEOPLE = [
    ("alice", Role.MEMBER),
    ("bob", Role.MODERATOR),
    ("carol", Role.STAFF),
    ("dana", Role.ADMIN),
    ("nina", Role.ANALYST),
    ("rosa", Role.MEMBER),
    ("lena", Role.MEMBER),
    ("mia", Role.MEMBER),
    ("zoe", Role.MEMBER),
    ("ines", Role.MEMBER),
]


class Command(BaseCommand):
    help = "Create the demo organisation (idempotent) and print logins and fresh invitation codes."

    @transaction.atomic
    def handle(self, *args, **options):
        if not settings.DEMO:
            raise CommandError("demo_data runs only in demo mode (SOMBRILLA_DEMO=1): its passphrases are public.")
        organisation = Organisation.objects.filter(slug="demo").first() or self._create()
        admin = Membership.objects.get(organisation=organisation, account__pseudonym="dana")
        codes = [services.invitation_issue(actor=admin, note="demo")[1] for _ in range(3)]
        self.stdout.write(self.style.SUCCESS("\nSombrilla demo is ready on http://127.0.0.1:8000/\n"))
        self.stdout.write(f"Every demo account's passphrase: {DEMO_PASSPHRASE}")
        for pseudonym, role in PEOPLE[:5]:
            extra = ""
            if pseudonym in DEMO_TOTP_KEYS:
                extra = f" (two-factor: run `.venv/bin/sombrilla demo_totp {pseudonym}` for the code)"
            self.stdout.write(f"  {pseudonym:<6} {role.label}{extra}")
        self.stdout.write(
            "Alerts: bob (trusted moderator) has published one for Nairobi and has a report from zoe waiting;\n"
            "  alice follows Nairobi. Check before you meet: try +254 722 000 111. A worker runs beside the\n"
            "  server and delivers notifications; emails (rosa chose email) are printed here instead of sent."
        )
        self.stdout.write(
            "Check-ins: alice's buddies are rosa and her sister (by email, printed here); her PIN is 2468 and\n"
            "  her duress PIN 1357. Make a 1-minute plan at /checkins/new/ and let it lapse: after 5 minutes rosa\n"
            "  sees the alert in her inbox and the sister's email with its one-time link appears here."
        )
        self.stdout.write(
            "Rights and services: /rights/ has articles in English, Spanish and Russian (change the language at\n"
            "  the foot of any page; 'If you are arrested' has audio and a quick card), /services/ the directory.\n"
            "  Log in once with JavaScript on, then stop the server: the articles still open on that browser.\n"
            "M&E: carol (staff) and nina (analyst) open /me/ for the NSWP 2022-25 indicators computed from four\n"
            "  years of demo records, with charts, the XLSX report and the DHIS2 and ADX exports."
        )
        self.stdout.write("Invitation codes to join as a new member (each works once):")
        for code in codes:
            self.stdout.write(f"  {code}   http://127.0.0.1:8000/join/?code={code}")
        self.stdout.write("")

    def _create(self) -> Organisation:
        organisation = services.organisation_create(
            slug="demo",
            name="Demo Collective",
            default_country="KE",
            vouch_quota=2,
            about="A sex-worker-led collective (demo). We share safety alerts, rights information and support.",
            how_to_join="Ask a member you trust or our outreach team for an invitation code.",
        )
        kenya = services.area_create(actor=None, organisation=organisation, name="Kenya", kind=Area.Kind.COUNTRY)
        nairobi = services.area_create(
            actor=None, organisation=organisation, name="Nairobi", kind=Area.Kind.CITY, parent=kenya
        )
        for district in ("Westlands", "Kibera", "CBD"):
            services.area_create(
                actor=None, organisation=organisation, name=district, kind=Area.Kind.DISTRICT, parent=nairobi
            )
        services.area_create(actor=None, organisation=organisation, name="Mombasa", kind=Area.Kind.CITY, parent=kenya)
        for pseudonym, role in PEOPLE:
            account = Account(pseudonym=pseudonym, language="en")
            account.set_password(DEMO_PASSPHRASE)
            account.save()
            Membership.objects.create(
                account=account,
                organisation=organisation,
                role=role,
                joined_on=organisation.created_at.date().replace(day=1),
            )
            if pseudonym in DEMO_TOTP_KEYS:
                Authenticator.objects.create(user=account, name="demo", key=DEMO_TOTP_KEYS[pseudonym], confirmed=True)
        services.organisation_create(slug="other", name="Other Collective (demo)")
        self._alerts(organisation)
        self._checkins(organisation)
        self._hub(organisation)
        return organisation

    def _hub(self, organisation: Organisation) -> None:
        """Rights articles in English, Spanish and Russian (one with audio), the services directory with
        ratings and a referral waiting, the NSWP monitoring framework with four years of records, and
        Sombrilla's own indicators."""
        from sombrilla.directory.demo import demo_load as directory_demo
        from sombrilla.monitoring.records.demo import demo_load as records_demo
        from sombrilla.monitoring.services import framework_load_shipped
        from sombrilla.rights.demo import demo_load as rights_demo

        people = {m.account.pseudonym: m for m in Membership.objects.filter(organisation=organisation)}
        rights_demo(organisation=organisation, author=people["carol"])
        directory_demo(
            organisation=organisation,
            author=people["carol"],
            members=[people[name] for name in ("alice", "rosa", "lena", "mia", "zoe")],
        )
        framework_load_shipped()
        framework_load_shipped(code="sombrilla-platform")
        records_demo(organisation=organisation, author=people["carol"])

    def _alerts(self, organisation: Organisation) -> None:
        """Followed areas, notification choices, one published alert, one report waiting and a police alert,
        so every alert page has something to show. Made through the services, as real data is."""
        from sombrilla.alerts import services as alerts
        from sombrilla.notify import services as notify

        people = {m.account.pseudonym: m for m in organisation.memberships.select_related("account")}
        areas = {a.name: a for a in organisation.areas.all()}
        for pseudonym in ("alice", "rosa", "lena", "bob"):
            alerts.area_follow_set(actor=people[pseudonym], areas=[areas["Nairobi"]])
        alerts.area_follow_set(actor=people["mia"], areas=[areas["Mombasa"]])
        # Rosa also hears by email: in the demo the worker prints emails instead of sending them.
        notify.contact_set(membership=people["rosa"], channel="email", contact="rosa@demo.invalid")
        notify.preference_update(
            membership=people["rosa"],
            channels=["push", "email"],
            discreet=True,
            quiet_start=None,
            quiet_end=None,
            timezone="Africa/Nairobi",
        )
        report = alerts.report_create(
            actor=people["lena"],
            occurred_on=organisation.created_at.date(),
            occurred_approximate=True,
            area=areas["Westlands"],
            categories=["non_payment", "threats"],
            account="He refused to pay and said he would show my photos to my family.",
            identifiers=[alerts.IdentifierIn(kind="phone", value="0722 000 111")],
            vehicle_description="Silver saloon",
            consent_alert=True,
            consent_statistics=True,
        )
        alerts.alert_publish(
            actor=people["bob"],
            report=report,
            text="A client who books by phone refused to pay and threatened to out a worker. Ask for payment first.",
            areas=[areas["Nairobi"]],
        )
        alerts.report_create(
            actor=people["zoe"],
            occurred_on=organisation.created_at.date(),
            area=areas["CBD"],
            categories=["fake_booking"],
            account="Booked twice for the same night and never came.",
            identifiers=[alerts.IdentifierIn(kind="handle", value="@night_owl_77", platform="Telegram")],
            consent_alert=True,
            consent_statistics=True,
        )
        people["bob"].trusted = True
        people["bob"].save(update_fields=["trusted"])
        alerts.police_alert_create(actor=people["bob"], area=areas["CBD"], kind="checkpoint", minutes_ago=20)

    def _checkins(self, organisation: Organisation) -> None:
        """Alice's buddies (rosa, a member, and her sister, by email) and PINs, and a duty rota."""
        from datetime import time

        from sombrilla.checkins import services as checkins

        people = {m.account.pseudonym: m for m in organisation.memberships.select_related("account")}
        request = checkins.buddy_add_member(actor=people["alice"], pseudonym="rosa")
        checkins.buddy_answer(actor=people["rosa"], buddy=request, accept=True)
        checkins.buddy_add_outside(
            actor=people["alice"], kind="email", contact="sister@demo.invalid", name="My sister", known_as="Ali"
        )
        checkins.safety_settings_update(membership=people["alice"], grace_minutes=5, pin="2468", duress_pin="1357")
        for weekday in range(7):
            checkins.duty_slot_add(
                actor=people["dana"], membership=people["carol"], weekday=weekday, start=time(8), end=time(20)
            )
            checkins.duty_slot_add(
                actor=people["dana"], membership=people["dana"], weekday=weekday, start=time(20), end=time(8)
            )
