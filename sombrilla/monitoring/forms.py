from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from sombrilla.alerts.forms import _text
from sombrilla.monitoring import exports, services
from sombrilla.monitoring.framework_yaml import MAX_VALUE
from sombrilla.monitoring.models import Kind

YEAR = {"min_value": services.FIRST_YEAR, "max_value": services.LAST_YEAR}
# What DHIS2 and ADX accept as an identifier or a code, and nothing that could break out of an XML attribute.
identifier_validator = RegexValidator(
    exports.IDENTIFIER, _("Use letters, digits and _ . / - only, up to 64 characters, with no spaces.")
)


def form_errors(form: forms.Form) -> list[str]:
    """Every error of a form, each after its field's label, for a page that shows them in one message."""
    return [
        f"{form.fields[name].label}: {error}" if name in form.fields and form.fields[name].label else str(error)
        for name, errors in form.errors.items()
        for error in errors
    ]


def _year(label, required=False) -> forms.IntegerField:
    return forms.IntegerField(label=label, required=required, **YEAR)


class YearForm(forms.Form):
    year = _year(_("Year"))


class PeriodForm(forms.Form):
    """What the dashboard, the report and the exports show, read from the query string so every view has a link."""

    framework = forms.ChoiceField(label=_("Framework"), required=False)
    year = _year(_("Year"))
    strategy = forms.CharField(required=False, max_length=32, widget=forms.HiddenInput)

    def __init__(self, *args, frameworks=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["framework"].choices = [(framework.code, framework.text()) for framework in frameworks]


class CompareForm(forms.Form):
    framework = forms.ChoiceField(label=_("Framework"), required=False)
    strategy = forms.CharField(required=False, max_length=32, widget=forms.HiddenInput)

    def __init__(self, *args, frameworks=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["framework"].choices = [(framework.code, framework.text()) for framework in frameworks]
        # "from" is a Python keyword, so these two are added by name.
        self.fields["from"] = _year(_("From"))
        self.fields["to"] = _year(_("To"))

    def clean(self):
        data = super().clean()
        if data.get("from") and data.get("to") and data["from"] >= data["to"]:
            raise forms.ValidationError(_("Compare an earlier year with a later one."))
        return data


def _number(label) -> forms.DecimalField:
    return forms.DecimalField(
        label=label, required=False, min_value=0, max_value=MAX_VALUE, max_digits=14, decimal_places=2
    )


class ValueForm(forms.Form):
    """A figure for an indicator that is not computed, with its evidence. Only the fields of the indicator's kind
    are on the form."""

    year = _year(_("Year"), required=True)
    category = forms.ChoiceField(label=_("For"), required=False)
    value = _number(_("Number"))
    numerator = _number(_("Number counted"))
    denominator = _number(_("Out of"))
    yes_no = forms.TypedChoiceField(
        label=_("Answer"),
        required=False,
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda answer: answer == "yes",
        empty_value=None,
        widget=forms.RadioSelect,
    )
    narrative = _text(_("What happened"), services.MAX_NARRATIVE, rows=6)
    products = forms.MultipleChoiceField(
        label=_("Knowledge products it draws on"), required=False, widget=forms.CheckboxSelectMultiple
    )
    evidence_note = _text(
        _("Evidence"),
        services.MAX_NOTE,
        required=True,
        rows=3,
        help_text=_("Where the figure comes from: a document, a meeting's minutes, a register …"),
    )
    attachment = forms.FileField(
        label=_("Evidence file (optional)"),
        required=False,
        help_text=_("Up to 5 MB: PDF, PNG, JPEG, Word (docx), Excel (xlsx), OpenDocument text or CSV."),
    )

    KIND_FIELDS = {
        Kind.COUNT: ("value",),
        Kind.PERCENTAGE: ("numerator", "denominator"),
        Kind.YES_NO: ("yes_no",),
        Kind.NARRATIVE: ("narrative", "products"),
    }

    def __init__(self, *args, indicator, products=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.indicator = indicator
        for kind, names in self.KIND_FIELDS.items():
            if kind != indicator.kind:
                for name in names:
                    del self.fields[name]
        categories = [
            (str(category.pk), f"{disaggregation.text()}: {category.text()}")
            for disaggregation in indicator.disaggregations.all()
            for category in disaggregation.categories.all()
        ]
        if indicator.kind == Kind.NARRATIVE or not categories:
            del self.fields["category"]
        else:
            self.fields["category"].choices = [("", _("The indicator as a whole")), *categories]
        if "products" in self.fields:
            self.products = {str(product.pk): product for product in products}
            self.fields["products"].choices = [(pk, str(product)) for pk, product in self.products.items()]
            if not self.products:
                del self.fields["products"]

    def chosen_category(self):
        chosen = self.cleaned_data.get("category")
        if not chosen:
            return None
        return next(
            category
            for disaggregation in self.indicator.disaggregations.all()
            for category in disaggregation.categories.all()
            if str(category.pk) == chosen
        )

    def chosen_products(self):
        if "products" not in self.fields:
            return None
        return [self.products[pk] for pk in self.cleaned_data.get("products", [])]


def _identifier(label, help_text) -> forms.CharField:
    return forms.CharField(
        label=label, required=False, max_length=64, validators=[identifier_validator], help_text=help_text
    )


class MappingForm(forms.Form):
    org_unit = _identifier(
        _("Org unit"), _("Your organisation's org unit in DHIS2. Empty: the organisation's short name.")
    )
    data_set = _identifier(
        _("Data set"), _("The DHIS2 data set the figures belong to (ADX needs one). Empty: the framework's code.")
    )
    codes = forms.CharField(
        label=_("Identifiers"),
        required=False,
        max_length=exports.MAX_MAPPING_CHARS,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        help_text=_(
            "One line each: kind, code, identifier. Kinds: dataElement, categoryOptionCombo, category, "
            "categoryOption. A code without a line stands for itself."
        ),
    )
    file = forms.FileField(label=_("Or import a CSV file with the same three columns"), required=False)

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        text = data.get("codes", "")
        if upload is not None:
            raw = upload.read(exports.MAX_MAPPING_CHARS + 1)
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise forms.ValidationError(_("The file is not UTF-8 text; save it as CSV (UTF-8).")) from None
            if len(raw) > exports.MAX_MAPPING_CHARS:
                raise forms.ValidationError(_("The file is too long for a list of identifiers."))
        try:
            data["parsed"] = exports.mapping_parse(text)
        except exports.ExportError as exc:
            raise forms.ValidationError(exc.errors) from None
        return data
