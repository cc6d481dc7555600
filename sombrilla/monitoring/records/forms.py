"""Forms for records, made from each type's model fields (kinds.RecordKind.fields). They check what one field
can check (a date is a date, a choice is one of the list); the record's own rules are the model's, applied by
the service, whose messages the view puts back beside each field."""

from functools import cache

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from sombrilla.monitoring.records import models as m
from sombrilla.monitoring.records.kinds import KINDS, RecordKind


class LanguagesField(forms.CharField):
    """ISO language codes typed in one box ("en fr es"), kept as a list."""

    def prepare_value(self, value):
        return " ".join(value) if isinstance(value, list) else value

    def to_python(self, value) -> list[str]:
        text = super().to_python(value)
        return m.languages_normalise([code for code in m.LANGUAGES_SEPARATOR.split(text) if code])

    def validate(self, value) -> None:
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")
        for code in value:
            m.validate_language(code)


def _formfield(field: models.Field, **kwargs) -> forms.Field | None:
    label = capfirst(field.verbose_name)
    if isinstance(field, models.ForeignKey):
        # The organisation's own records only: RecordForm sets the choices.
        return forms.ModelChoiceField(queryset=field.related_model.objects.none(), label=label)
    if isinstance(field, models.JSONField):
        return LanguagesField(label=label, help_text=field.help_text, widget=forms.TextInput(attrs={"maxlength": 200}))
    if isinstance(field, models.DateField):
        return field.formfield(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    if isinstance(field, models.TextField):
        return field.formfield(widget=forms.Textarea(attrs={"rows": 5}), max_length=m.SUMMARY_MAX)
    if isinstance(field, models.PositiveSmallIntegerField):
        return field.formfield(min_value=m.YEAR_MIN, max_value=m.YEAR_MAX)
    if isinstance(field, models.PositiveIntegerField):
        return field.formfield(max_value=m.COUNT_MAX)
    return field.formfield(**kwargs)


class RecordForm(forms.Form):
    def __init__(self, *args, kind: RecordKind, parents=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        if kind.parent:
            self.fields[kind.parent.field].queryset = parents


@cache
def record_form_class(slug: str) -> type[RecordForm]:
    kind = KINDS[slug]
    fields = forms.fields_for_model(kind.model, fields=kind.fields, formfield_callback=_formfield)
    return type(f"{kind.model.__name__}Form", (RecordForm,), dict(fields))


class YearForm(forms.Form):
    """The list's filter, sent as a GET parameter so a filtered list is a link to keep."""

    year = forms.TypedChoiceField(label=_("Year"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, years=(), **kwargs):
        super().__init__(*args, **kwargs)
        # A year asked for in a kept link stays offered even when it has no records (any more).
        asked = str(self.data.get("year", ""))
        if asked.isascii() and asked.isdigit() and m.YEAR_MIN <= int(asked) <= m.YEAR_MAX:
            years = sorted({*years, int(asked)}, reverse=True)
        self.fields["year"].choices = [("", _("All years")), *((year, year) for year in years)]


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"), max_length=200, widget=forms.FileInput(attrs={"accept": ".csv,text/csv"})
    )
