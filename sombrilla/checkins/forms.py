from django import forms
from django.conf import settings
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from sombrilla.alerts.forms import _text
from sombrilla.alerts.models import IdentifierKind
from sombrilla.checkins.models import EXTEND_MINUTES, Buddy, Plan


def _pin(label, help_text="") -> forms.CharField:
    """A PIN is never shown back, not even after a refused form: the phone may be in someone else's hands."""
    return forms.CharField(
        label=label,
        max_length=64,
        required=False,
        strip=True,
        help_text=help_text,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


class PlanForm(forms.Form):
    DURATIONS = [
        (15, _("15 minutes")),
        (30, _("30 minutes")),
        (60, _("1 hour")),
        (90, _("1½ hours")),
        (120, _("2 hours")),
        (180, _("3 hours")),
        (240, _("4 hours")),
        (480, _("8 hours")),
    ]

    minutes = forms.TypedChoiceField(label=_("How long?"), choices=DURATIONS, coerce=int, initial=60)
    starts_at = forms.DateTimeField(
        label=_("Starts later at (optional)"),
        required=False,
        help_text=_("Leave empty if it starts now."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    place = _text(_("Where? (optional)"), 500, autocomplete="off")
    phone = _text(_("Client's phone number"), 40, autocomplete="off", inputmode="tel")
    handle = _text(_("Client's online name or handle"), 100, autocomplete="off", autocapitalize="none")
    email = _text(_("Client's email address"), 200, autocomplete="off", autocapitalize="none", inputmode="email")
    plate = _text(_("Vehicle plate"), 20, autocomplete="off", autocapitalize="characters")
    note = _text(_("Note (optional)"), 1000, rows=2)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if settings.DEMO:
            # So a demo visitor can watch a plan lapse and escalate in a few minutes.
            self.fields["minutes"].choices = [(1, _("1 minute (demo)")), *self.DURATIONS]

    IDENTIFIER_FIELDS = {
        "phone": IdentifierKind.PHONE,
        "handle": IdentifierKind.HANDLE,
        "email": IdentifierKind.EMAIL,
        "plate": IdentifierKind.PLATE,
    }

    def identifiers(self) -> list[tuple[str, str]]:
        return [
            (kind, self.cleaned_data[name]) for name, kind in self.IDENTIFIER_FIELDS.items() if self.cleaned_data[name]
        ]


class CheckInForm(forms.Form):
    pin = _pin(_("Your PIN"))


class ExtendForm(forms.Form):
    minutes = forms.TypedChoiceField(choices=[(m, m) for m in EXTEND_MINUTES], coerce=int)


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(label=_("How did it end?"), choices=[("", "—"), *Plan.Outcome.choices])
    note = _text(_("Note (optional)"), 1000, rows=2)


class SosForm(forms.Form):
    """One button. A location comes only from the browser (app.js), and a bad one never stops the SOS."""

    plan = forms.UUIDField(required=False, widget=forms.HiddenInput)
    lat = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    lon = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)
    accuracy = forms.FloatField(required=False, min_value=0, max_value=100_000, widget=forms.HiddenInput)

    def location(self) -> dict | None:
        """The location sent, or None when there is none or it cannot be read (check `location_refused`)."""
        data = self.cleaned_data
        if data.get("lat") is None or data.get("lon") is None:
            return None
        return {"lat": data["lat"], "lon": data["lon"], "accuracy": data.get("accuracy") or 0}

    def location_refused(self) -> bool:
        return any(name in self.errors for name in ("lat", "lon", "accuracy")) or (
            bool(self.data.get("lat")) != bool(self.data.get("lon"))
        )


class MemberBuddyForm(forms.Form):
    pseudonym = _text(_("Their name on this site"), 150, required=True, autocomplete="off", autocapitalize="none")


class OutsideBuddyForm(forms.Form):
    name = _text(_("Their name (only you see it)"), 80, required=True, autocomplete="off")
    kind = forms.ChoiceField(
        label=_("How to reach them"),
        choices=[(Buddy.Kind.SMS, Buddy.Kind.SMS.label), (Buddy.Kind.EMAIL, Buddy.Kind.EMAIL.label)],
        initial=Buddy.Kind.SMS,
        widget=forms.RadioSelect,
    )
    contact = _text(_("Phone number or email"), 200, required=True, autocomplete="off", autocapitalize="none")
    known_as = _text(
        _("The name they know you by (optional)"), 40, autocomplete="off", help_text=_("We put it in their message.")
    )
    language = forms.ChoiceField(label=_("Language of their message"), choices=settings.LANGUAGES)


class SafetySettingsForm(forms.Form):
    grace_minutes = forms.IntegerField(
        label=_("Minutes to wait after a plan's end before your buddies are alerted"),
        widget=forms.NumberInput(attrs={"min": 5, "max": 120, "inputmode": "numeric"}),
    )
    pin = _pin(_("New check-in PIN (4 to 8 digits)"), _("Leave empty to keep the one you have."))
    duress_pin = _pin(
        _("New duress PIN"),
        _("Check in with this one when someone forces you: it looks like a safe check-in, but alerts your buddies."),
    )
    remove_pins = forms.BooleanField(label=_("Remove both PINs"), required=False)


class DutySlotForm(forms.Form):
    membership = forms.ChoiceField(label=_("Staff member"))
    weekday = forms.TypedChoiceField(label=_("Day"), choices=list(WEEKDAYS.items()), coerce=int)
    start = forms.TimeField(label=_("From"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    end = forms.TimeField(label=_("To"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))

    def __init__(self, *args, staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["membership"].choices = [("", "—")] + [(str(m.pk), m.account.pseudonym) for m in staff]
