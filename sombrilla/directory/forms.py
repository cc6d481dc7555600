from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from sombrilla.alerts.forms import _area_choices, _text
from sombrilla.directory.models import ABOUT_MAX, ANSWER_MAX, MESSAGE_MAX, NOTE_MAX, Cost, ServiceKind
from sombrilla.directory.services import REASON_MAX


def stars_label(n: int) -> str:
    """Stars drawn and said: the drawing for a glance, the words for a screen reader."""
    return "★" * n + " " + ngettext("%(count)d star", "%(count)d stars", n) % {"count": n}


def _kinds(empty_label) -> list:
    return [("", empty_label), *ServiceKind.choices]


class FilterForm(forms.Form):
    """The list's filters, sent as GET parameters so a filtered list is a link a member can keep."""

    kind = forms.ChoiceField(label=_("What for?"), required=False)
    area = forms.ChoiceField(label=_("Where?"), required=False)
    language = _text(_("Language spoken"), 60, autocomplete="off")
    anonymous = forms.BooleanField(label=_("Anonymous only"), required=False)
    free = forms.BooleanField(label=_("Free only"), required=False)
    friendly = forms.BooleanField(label=_("Sex-worker friendly only"), required=False)

    def __init__(self, *args, areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = _kinds(_("Any kind of service"))
        self.fields["area"].choices = [("", _("Anywhere")), *_area_choices(areas)]


class RatingForm(forms.Form):
    stars = forms.TypedChoiceField(label=_("Your stars"), coerce=int, widget=forms.RadioSelect)
    note = _text(
        _("A short note for other members (optional)"),
        NOTE_MAX,
        rows=3,
        help_text=_("A moderator reads it first. Others see it without your name."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stars"].choices = [(n, stars_label(n)) for n in range(5, 0, -1)]


class ReferralForm(forms.Form):
    message = _text(
        _("What should staff know? (optional)"),
        MESSAGE_MAX,
        rows=3,
        help_text=_("Only staff read it. It is deleted 90 days after your request is answered or closed."),
    )


class NeedForm(ReferralForm):
    """A referral for a need rather than a named service: staff suggest where to go."""

    kind = forms.ChoiceField(label=_("What do you need?"))
    field_order = ["kind", "message"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = _kinds("—")


class ServiceForm(forms.Form):
    name = _text(_("Name"), 120, required=True, autocomplete="off")
    kind = forms.ChoiceField(label=_("Kind of service"))
    area = forms.ChoiceField(label=_("Area"), required=False)
    address = _text(_("Address"), 300, autocomplete="off")
    call_first = forms.BooleanField(
        label=_("Call first: people phone before they come (no walk-ins, or the address is given by phone)"),
        required=False,
    )
    public_number = _text(_("Phone number of the service"), 40, autocomplete="off", inputmode="tel")
    opening_hours = _text(_("Opening hours"), 200, autocomplete="off")
    languages = _text(_("Languages spoken"), 200, autocomplete="off")
    anonymous = forms.BooleanField(label=_("Anonymous: no name or ID needed"), required=False)
    cost = forms.ChoiceField(label=_("Cost"), choices=Cost.choices, initial=Cost.FREE)
    cost_note = _text(_("About the cost (optional)"), 200, autocomplete="off")
    sex_worker_friendly = forms.BooleanField(label=_("Sex-worker friendly"), required=False)
    about = _text(_("About this service (optional)"), ABOUT_MAX, rows=3)

    def __init__(self, *args, areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = _kinds("—")
        self.fields["area"].choices = [("", "—"), *_area_choices(areas)]


class AnswerForm(forms.Form):
    answer = _text(
        _("Your answer to the member"),
        ANSWER_MAX,
        required=True,
        rows=5,
        help_text=_("The member is told there is an answer and reads it after logging in."),
    )


class ModerateForm(forms.Form):
    action = forms.ChoiceField(choices=[("publish", _("Publish")), ("reject", _("Reject"))])
    reason = _text(_("Reason, for the member (when rejecting)"), REASON_MAX)
