from django import forms
from django.utils.translation import gettext_lazy as _

from sombrilla.alerts.models import SCREENABLE_KINDS, Category, IdentifierKind, PoliceAlert


def _area_choices(areas) -> list[tuple[str, str]]:
    """Areas in tree order, indented by depth so a select or checkbox list shows what sits inside what."""
    return [(str(area.pk), "\u2003" * depth + area.name) for area, depth in areas]


def _text(label, max_length, *, required=False, rows=None, help_text="", **attrs) -> forms.CharField:
    widget = forms.Textarea(attrs={"rows": rows, **attrs}) if rows else forms.TextInput(attrs=attrs)
    return forms.CharField(label=label, max_length=max_length, required=required, widget=widget, help_text=help_text)


class ReportForm(forms.Form):
    # A one-time key per form: the same form sent twice on a bad connection makes one report.
    submission_key = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)
    occurred_on = forms.DateField(
        label=_("When did it happen?"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    occurred_approximate = forms.BooleanField(label=_("I am not sure of the exact day"), required=False)
    area = forms.ChoiceField(label=_("Where?"))
    categories = forms.MultipleChoiceField(
        label=_("What happened?"), choices=Category.choices, widget=forms.CheckboxSelectMultiple
    )
    account = _text(
        _("Tell us what happened"),
        5000,
        required=True,
        rows=6,
        help_text=_("Moderators read this. Peers only see an alert a moderator writes from it."),
    )
    phone = _text(_("Phone number"), 40, autocomplete="off", inputmode="tel")
    handle = _text(_("Online name or handle"), 100, autocomplete="off", autocapitalize="none")
    platform = _text(_("Where it is used (app or website)"), 60, autocomplete="off")
    email = _text(_("Email address"), 200, autocomplete="off", autocapitalize="none", inputmode="email")
    plate = _text(_("Vehicle plate"), 20, autocomplete="off", autocapitalize="characters")
    name_used = _text(_("Name used"), 100, autocomplete="off")
    person_description = _text(_("What does the person look like?"), 2000, rows=3)
    vehicle_description = _text(_("What vehicle, if any?"), 1000, rows=2)
    consent_alert = forms.BooleanField(
        label=_("A moderator may turn this into an alert for peers (without anything that identifies you)"),
        required=False,
        initial=True,
    )
    consent_referral = forms.BooleanField(
        label=_("The organisation may pass this report to lawyers or the police"), required=False, initial=False
    )
    consent_statistics = forms.BooleanField(
        label=_("It may count in anonymous statistics"), required=False, initial=True
    )

    IDENTIFIER_FIELDS = {
        "phone": IdentifierKind.PHONE,
        "handle": IdentifierKind.HANDLE,
        "email": IdentifierKind.EMAIL,
        "plate": IdentifierKind.PLATE,
        "name_used": IdentifierKind.NAME,
    }

    def __init__(self, *args, areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [("", "—")] + _area_choices(areas)


class PublishForm(forms.Form):
    text = _text(
        _("Alert text"),
        2000,
        required=True,
        rows=5,
        help_text=_(
            "What peers need to know. Leave out anything that could identify who reported: "
            "no exact dates, places or details only the person who reported would know."
        ),
    )
    areas = forms.MultipleChoiceField(label=_("Publish to"), widget=forms.CheckboxSelectMultiple)
    categories = forms.MultipleChoiceField(
        label=_("Categories"), choices=Category.choices, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["areas"].choices = _area_choices(areas)


class AttachForm(forms.Form):
    alert = forms.ChoiceField(label=_("Existing alert"), widget=forms.RadioSelect)

    def __init__(self, *args, matches=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["alert"].choices = [
            (str(match.alert.pk), match.alert.text[:80] + ("…" if len(match.alert.text) > 80 else ""))
            for match in matches
        ]


class RejectForm(forms.Form):
    reason = _text(_("Reason (the person who reported will read it)"), 1000, required=True, rows=3)


class PoliceAlertForm(forms.Form):
    MINUTES_AGO = [
        (0, _("just now")),
        (15, _("about 15 minutes ago")),
        (30, _("about 30 minutes ago")),
        (60, _("about an hour ago")),
        (120, _("about 2 hours ago")),
        (240, _("about 4 hours ago")),
        (480, _("earlier today")),
    ]

    submission_key = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)
    area = forms.ChoiceField(label=_("Where?"))
    kind = forms.ChoiceField(label=_("What is happening?"), choices=PoliceAlert.Kind.choices, widget=forms.RadioSelect)
    minutes_ago = forms.TypedChoiceField(label=_("When?"), choices=MINUTES_AGO, coerce=int, initial=0)
    note = _text(_("Note (optional)"), 500, rows=2, help_text=_("Do not write anyone's name."))

    def __init__(self, *args, areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [("", "—")] + _area_choices(areas)


class PoliceRejectForm(forms.Form):
    reason = _text(_("Reason (optional)"), 500)


class FollowForm(forms.Form):
    areas = forms.MultipleChoiceField(
        label=_("Areas you want alerts for"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["areas"].choices = _area_choices(areas)


class ScreeningForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What do you have?"),
        choices=[(kind.value, kind.label) for kind in SCREENABLE_KINDS],
        initial=IdentifierKind.PHONE,
        widget=forms.RadioSelect,
    )
    value = _text(_("Type it here"), 200, required=True, autocomplete="off", autocapitalize="none")
