from django import forms
from django.utils.translation import gettext_lazy as _

from sombrilla.alerts.forms import _text
from sombrilla.rights import services
from sombrilla.rights.models import MAX_CARD_STEPS, Icon, Provenance, Topic


def _country_choices(countries) -> list[tuple[str, str]]:
    return [(str(area.pk), area.name) for area in countries]


class FilterForm(forms.Form):
    """The member's filters, read from the query string so every filtered list has its own link."""

    topic = forms.ChoiceField(label=_("Topic"), required=False, choices=[("", _("All topics")), *Topic.choices])
    country = forms.ChoiceField(label=_("Country"), required=False)

    def __init__(self, *args, countries=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", _("All countries")), *_country_choices(countries)]


class ArticleForm(forms.Form):
    topic = forms.ChoiceField(label=_("Topic"), choices=Topic.choices)
    icon = forms.ChoiceField(
        label=_("Icon"),
        required=False,
        choices=[("", _("The topic's own icon")), *Icon.choices],
    )
    countries = forms.MultipleChoiceField(
        label=_("Countries"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked if it applies everywhere."),
    )
    is_key = forms.BooleanField(
        label=_("Key article: it has a quick card of up to five steps"),
        required=False,
    )
    position = forms.IntegerField(
        label=_("Position in the list"),
        min_value=0,
        max_value=999,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(self, *args, countries=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.country_areas = list(countries)
        self.fields["countries"].choices = _country_choices(countries)
        if not countries:
            self.fields["countries"].help_text = _("Add countries under Areas to tag articles by country.")

    def chosen_countries(self) -> list:
        return [area for area in self.country_areas if str(area.pk) in self.cleaned_data["countries"]]


class VersionForm(forms.Form):
    title = _text(_("Title"), services.MAX_TITLE, required=True)
    summary = _text(
        _("Summary"), services.MAX_SUMMARY, rows=2, help_text=_("One or two short sentences, shown in the list.")
    )
    body = _text(
        _("Text"),
        services.MAX_BODY,
        rows=14,
        help_text=_(
            "Markdown: a blank line between paragraphs, ## for a heading, - for a list, **bold**, "
            "[words](https://…) for a link. Other markup is removed."
        ),
    )
    provenance = forms.ChoiceField(
        label=_("How was this version written?"),
        choices=Provenance.choices,
        initial=Provenance.ORIGINAL,
        widget=forms.RadioSelect,
    )
    reviewed = forms.BooleanField(
        label=_("I have reviewed this text: members may read it"),
        required=False,
        help_text=_("Without this, changed text goes back to draft and members do not see it."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for number in range(1, MAX_CARD_STEPS + 1):
            self.fields[f"step_icon_{number}"] = forms.ChoiceField(
                label=_("Icon of step %(number)d") % {"number": number},
                choices=Icon.choices,
                initial=Icon.CHECK,
                required=False,
            )
            self.fields[f"step_text_{number}"] = _text(
                _("Step %(number)d") % {"number": number}, services.MAX_STEP, autocomplete="off"
            )

    def step_fields(self) -> list[tuple]:
        return [(self[f"step_icon_{n}"], self[f"step_text_{n}"]) for n in range(1, MAX_CARD_STEPS + 1)]

    def card_steps(self) -> list[tuple[str, str]]:
        data = self.cleaned_data
        return [(data[f"step_icon_{n}"], data[f"step_text_{n}"]) for n in range(1, MAX_CARD_STEPS + 1)]

    @staticmethod
    def initial_for(version) -> dict:
        initial = {
            "title": version.title,
            "summary": version.summary,
            "body": version.body,
            "provenance": version.provenance,
        }
        for number, (icon, text) in enumerate(version.card_steps, start=1):
            initial[f"step_icon_{number}"], initial[f"step_text_{number}"] = icon, text
        return initial


class AudioForm(forms.Form):
    audio = forms.FileField(
        label=_("Audio file"),
        help_text=_("Up to 4 MB: Opus, Ogg, MP3, M4A, WAV or WebM. A short, clear recording works best."),
        widget=forms.FileInput(attrs={"accept": "audio/*"}),
    )
