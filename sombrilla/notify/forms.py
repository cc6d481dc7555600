from django import forms
from django.utils.translation import gettext_lazy as _

from sombrilla.notify.models import Channel


class PreferenceForm(forms.Form):
    channels = forms.MultipleChoiceField(
        label=_("Besides the inbox here, tell me by"), required=False, widget=forms.CheckboxSelectMultiple
    )
    discreet = forms.BooleanField(
        label=_("Discreet: a lock screen shows only “New update”, never what it is about"), required=False
    )
    quiet_start = forms.TimeField(label=_("Quiet hours from"), required=False, widget=forms.TimeInput({"type": "time"}))
    quiet_end = forms.TimeField(label=_("Quiet hours until"), required=False, widget=forms.TimeInput({"type": "time"}))
    timezone = forms.CharField(
        label=_("Your time zone"), max_length=64, help_text=_("For example Africa/Nairobi or Europe/Madrid.")
    )
    email_contact = forms.CharField(label=_("Email for notifications"), required=False, max_length=254)
    sms_contact = forms.CharField(label=_("Phone number for SMS"), required=False, max_length=32)

    def __init__(self, *args, available: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channels"].choices = [(c, Channel(c).label) for c in available]
        if Channel.EMAIL not in available:
            del self.fields["email_contact"]
        if Channel.SMS not in available:
            del self.fields["sms_contact"]


class PushSubscriptionForm(forms.Form):
    """What a browser's PushSubscription.toJSON() holds, posted by the page's script."""

    endpoint = forms.URLField(max_length=1000, assume_scheme="https")
    p256dh = forms.CharField(max_length=200)
    auth = forms.CharField(max_length=100)
