"""The only writers of monitoring frameworks (importing a framework file, loading a shipped one), of the figures
staff enter by hand for indicators that are not computed, and of an organisation's DHIS2 names.

An import is one transaction: a file with any error, or one that would remove a part still in use, changes
nothing. Importing over an existing framework (replace=True) updates its parts in place, matched by code, so
anything later work attaches to an indicator (values, evidence) survives a corrected file; parts the new file
no longer has are deleted.
"""

import io
import re
import zipfile
from decimal import Decimal
from functools import partial
from itertools import count
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils.translation import gettext as _

from sombrilla.accounts.models import Membership, Organisation
from sombrilla.accounts.services import PermissionDenied
from sombrilla.core import clock
from sombrilla.core.audit import AuditAction
from sombrilla.core.services import audit_record
from sombrilla.monitoring import framework_yaml, selectors
from sombrilla.monitoring.models import (
    Activity,
    Direction,
    Disaggregation,
    DisaggregationCategory,
    EvaluationPoint,
    ExportMapping,
    Framework,
    Goal,
    Indicator,
    IndicatorTarget,
    IndicatorValue,
    Kind,
    Level,
    Result,
    Strategy,
)

FIXTURES = Path(__file__).parent / "fixtures"
# Frameworks that ship with Sombrilla, by code: `sombrilla framework_import --shipped CODE` loads one.
SHIPPED = {
    "nswp-2022-25": FIXTURES / "nswp-2022-25.yaml",
    # Sombrilla's own figures (members, alerts, check-ins ...), every indicator computed (indicators.py).
    "sombrilla-platform": FIXTURES / "sombrilla-platform.yaml",
}
FRAMEWORK_FIELDS = (
    "name",
    "period_start",
    "period_end",
    "source",
    "description",
    "mission",
    "theory_of_change",
    "impact_statement",
)
INDICATOR_FIELDS = (
    "name",
    "definition",
    "kind",
    "numerator",
    "denominator",
    "frequency",
    "data_source",
    "computation",
    "baseline_value",
    "baseline_year",
)


class MonitoringError(Exception):
    """A monitoring request that cannot be honoured. `errors` lists every problem, one a line (for a file:
    each with its place in the file)."""

    def __init__(self, errors: str | list[str]):
        self.errors = [errors] if isinstance(errors, str) else list(errors)
        super().__init__("\n".join(self.errors))


class _Parts:
    """One framework's existing parts of one model, by code: what an import updates, then what it deletes."""

    def __init__(self, model, framework: Framework):
        self.model = model
        self.framework = framework
        self.left = {part.code: part for part in model.objects.filter(framework=framework)}

    def put(self, code: str, **fields):
        part = self.left.pop(code, None) or self.model(framework=self.framework, code=code)
        for name, value in fields.items():
            setattr(part, name, value)
        part.save()
        return part

    def delete_left(self) -> None:
        if self.left:
            self.model.objects.filter(pk__in=[part.pk for part in self.left.values()]).delete()


def framework_import(
    *, data: str | bytes, organisation: Organisation | None = None, replace: bool = False
) -> Framework:
    """Load a framework file (see framework_yaml) for the network (organisation None) or one organisation.

    A framework with the same code there is refused unless `replace`, which brings it in line with the file.
    """
    try:
        spec = framework_yaml.framework_parse(data)
    except framework_yaml.FrameworkFileError as exc:
        raise MonitoringError(exc.errors) from None
    try:
        return _framework_write(spec, organisation, replace)
    except (ProtectedError, RestrictedError):
        raise MonitoringError(
            _("The file leaves out parts of the framework that recorded data still uses; keep them in the file.")
        ) from None
    except IntegrityError:
        # Only a second import of the same new code, committed while this one ran, gets here.
        raise MonitoringError(_("The framework was imported by someone else at the same moment; try again.")) from None


@transaction.atomic
def _framework_write(spec: dict, organisation: Organisation | None, replace: bool) -> Framework:
    framework = Framework.objects.select_for_update().filter(organisation=organisation, code=spec["code"]).first()
    if framework is not None and not replace:
        raise MonitoringError(
            _("There is already a framework with the code %(code)s; import it with replace to update it.")
            % {"code": spec["code"]}
        )
    framework = framework or Framework(organisation=organisation, code=spec["code"])
    for field in FRAMEWORK_FIELDS:
        setattr(framework, field, spec[field])
    framework.updated_at = clock.now()
    framework.save()
    _Writer(framework).write(spec)
    return framework


class _Writer:
    """Brings one framework's parts in line with checked file data (framework_yaml.framework_parse)."""

    def __init__(self, framework: Framework):
        self.framework = framework
        self.parts = {
            model: _Parts(model, framework)
            for model in (Goal, Disaggregation, Strategy, Result, Direction, Indicator, EvaluationPoint)
        }
        self.disaggregations: dict[str, Disaggregation] = {}
        # Results, directions and indicators are numbered through the whole framework, in reading order.
        self.part_order, self.indicator_order = count(), count()

    def put(self, model, code: str, **fields):
        return self.parts[model].put(code, **fields)

    def write(self, spec: dict) -> None:
        for position, goal in enumerate(spec["goals"]):
            self.put(Goal, goal["code"], position=position, name=goal["name"], description=goal["description"])
        for position, item in enumerate(spec["disaggregations"]):
            disaggregation = self.put(Disaggregation, item["code"], position=position, name=item["name"])
            self.disaggregations[item["code"]] = disaggregation
            _categories_write(disaggregation, item["categories"])
        Activity.objects.filter(direction__framework=self.framework).delete()
        self.indicators(spec["impact_indicators"], level=Level.IMPACT, result=None, direction=None)
        for position, item in enumerate(spec["strategies"]):
            self.strategy(item, position)
        for position, item in enumerate(spec["evaluation_points"]):
            fields = {key: item[key] for key in ("kind", "year", "name", "description")}
            self.put(EvaluationPoint, item["code"], position=position, **fields)
        # Only now, with every part kept moved to its new parent, can a cascade take nothing but what the file
        # left out; children go first so that data still using one of them stops the import at that child.
        for model in (Indicator, Direction, Result, Strategy, Goal, Disaggregation, EvaluationPoint):
            self.parts[model].delete_left()

    def strategy(self, item: dict, position: int) -> None:
        strategy = self.put(Strategy, item["code"], position=position, name=item["name"], approach=item["approach"])
        results = {
            result["code"]: self.put(
                Result, result["code"], position=next(self.part_order), strategy=strategy, name=result["name"]
            )
            for result in item["results"]
        }
        directions = [
            (
                direction,
                self.put(
                    Direction,
                    direction["code"],
                    position=next(self.part_order),
                    strategy=strategy,
                    result=results.get(direction["result"]),
                    name=direction["name"],
                ),
            )
            for direction in item["directions"]
        ]
        # Reading order: each result's indicators, then those of the directions that serve it; then the rest.
        for result in [*item["results"], {"code": None}]:
            if result["code"] is not None:
                row = results[result["code"]]
                self.indicators(result["indicators"], level=Level.RESULT, result=row, direction=None)
            for direction, row in directions:
                if direction["result"] == result["code"]:
                    self.indicators(direction["indicators"], level=Level.OUTPUT, result=None, direction=row)
        Activity.objects.bulk_create(
            Activity(direction=row, position=index, name=name)
            for direction, row in directions
            for index, name in enumerate(direction["activities"])
        )

    def indicators(self, items: list[dict], **parent) -> None:
        for item in items:
            fields = {field: item[field] for field in INDICATOR_FIELDS}
            indicator = self.put(Indicator, item["code"], position=next(self.indicator_order), **parent, **fields)
            indicator.disaggregations.set([self.disaggregations[code] for code in item["disaggregations"]])
            indicator.targets.all().delete()
            IndicatorTarget.objects.bulk_create(
                IndicatorTarget(indicator=indicator, year=year, value=value) for year, value in item["targets"]
            )


def _categories_write(disaggregation: Disaggregation, categories: list[dict]) -> None:
    left = {category.code: category for category in disaggregation.categories.all()}
    for position, item in enumerate(categories):
        category = left.pop(item["code"], None) or DisaggregationCategory(
            disaggregation=disaggregation, code=item["code"]
        )
        category.position, category.name = position, item["name"]
        category.save()
    DisaggregationCategory.objects.filter(pk__in=[category.pk for category in left.values()]).delete()


def framework_export(*, framework: Framework) -> str:
    """The framework as a YAML file that framework_import reads back to the same framework."""
    return framework_yaml.framework_dump(selectors.framework_tree(framework=framework))


def framework_load_shipped(*, code: str = "nswp-2022-25") -> Framework:
    """Load (or bring up to date) a framework that ships with Sombrilla, as the network's framework."""
    if code not in SHIPPED:
        raise MonitoringError(
            _("There is no shipped framework %(code)s; there is: %(known)s")
            % {"code": code, "known": ", ".join(SHIPPED)}
        )
    return framework_import(data=SHIPPED[code].read_bytes(), organisation=None, replace=True)


# Figures entered by hand ---------------------------------------------------------------------------------------

MAX_EVIDENCE_BYTES = 5 * 1024 * 1024
MAX_NOTE = 2000
MAX_NARRATIVE = 10_000
FIRST_YEAR, LAST_YEAR = 1990, 2100
_OFFICE = {
    "word/document.xml": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ".docx",
    ),
    "xl/workbook.xml": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
}
_ODT = b"application/vnd.oasis.opendocument.text"
# Control characters a CSV file never has; tab, line feed and carriage return it may.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _office_kind(data: bytes) -> tuple[str, str] | None:
    """A Word, Excel or OpenDocument text file, told by what its zip holds; only directory entries and two tiny
    members are read, so a zip bomb is never unpacked. Files with macros are refused."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                info = archive.getinfo("mimetype")
                return (
                    ("application/vnd.oasis.opendocument.text", ".odt")
                    if info.file_size == len(_ODT) and (archive.read(info) == _ODT)
                    else None
                )
            types = archive.getinfo("[Content_Types].xml") if "[Content_Types].xml" in names else None
            if types is None or types.file_size > 64 * 1024 or b"macroEnabled" in archive.read(types):
                return None
            return next((kind for name, kind in _OFFICE.items() if name in names), None)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, ValueError, RuntimeError, NotImplementedError, OSError):
        return None


def _csv_kind(data: bytes) -> tuple[str, str] | None:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    if not text.strip() or _CONTROL.search(text):
        return None
    return "text/csv", ".csv"


def evidence_kind(data: bytes) -> tuple[str, str] | None:
    """(content type, file extension) told from the file's own bytes (PDF, PNG, JPEG, DOCX, XLSX, ODT or CSV),
    or None. Never from the upload's name or the browser's claim: both are whatever the uploader says."""
    if data.startswith(b"%PDF-"):
        return "application/pdf", ".pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", ".png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", ".jpg"
    if data.startswith(b"PK\x03\x04"):
        return _office_kind(data)
    return _csv_kind(data)


def evidence_read(file) -> bytes:
    """At most one byte over the limit from an upload, so a huge file is never read whole."""
    return file.read(MAX_EVIDENCE_BYTES + 1)


def _require_staff_of(actor: Membership, indicator: Indicator) -> None:
    if actor.is_suspended or not actor.is_staff_role:
        raise PermissionDenied(_("Only staff and admins of an organisation can enter its figures."))
    if not selectors.frameworks_for(organisation=actor.organisation).filter(pk=indicator.framework_id).exists():
        raise PermissionDenied(_("This indicator is not in a framework your organisation uses."))


def _figure_check(indicator: Indicator, *, value, numerator, denominator, yes_no, narrative, products) -> list[str]:
    """What is wrong with the figure for the indicator's kind, as sentences (empty: nothing)."""
    if indicator.kind == Kind.COUNT and value is None:
        return [_("Give the number.")]
    if indicator.kind == Kind.PERCENTAGE:
        if numerator is None or denominator is None:
            return [_("Give both the number counted and the number it is a share of.")]
        if denominator <= 0:
            return [_("The number it is a share of must be more than 0.")]
        if numerator > denominator:
            return [_("The number counted cannot be more than the number it is a share of.")]
    if indicator.kind == Kind.YES_NO and yes_no is None:
        return [_("Say yes or no.")]
    if indicator.kind == Kind.NARRATIVE and not narrative.strip() and not products:
        return [_("Write what happened, or link the knowledge products that document it.")]
    negative = [number for number in (value, numerator, denominator) if number is not None and number < 0]
    return [_("Figures cannot be below 0.")] if negative else []


@transaction.atomic
def _entry_write(actor, indicator, year, category, fields: dict, content: tuple | None, products) -> IndicatorValue:
    entry = (
        IndicatorValue.objects.select_for_update()
        .filter(indicator=indicator, organisation=actor.organisation, year=year, category=category)
        .first()
    ) or IndicatorValue(indicator=indicator, organisation=actor.organisation, year=year, category=category)
    for name, value in fields.items():
        setattr(entry, name, value)
    entry.entered_by, entry.entered_at = actor, clock.now()
    if content is not None:
        data, (content_type, extension) = content
        _delete_file_after_commit(entry.attachment.name)
        entry.attachment.save(f"evidence{extension}", ContentFile(data), save=False)
        entry.attachment_type = content_type
    entry.save()
    if products is not None:
        entry.products.set(products)
    audit_record(
        actor=actor, action=AuditAction.INDICATOR_VALUE_ENTERED, target_type="indicator_value", target_id=entry.pk
    )
    return entry


def indicator_value_save(
    *,
    actor: Membership,
    indicator: Indicator,
    year: int,
    evidence_note: str,
    category: DisaggregationCategory | None = None,
    value: Decimal | None = None,
    numerator: Decimal | None = None,
    denominator: Decimal | None = None,
    yes_no: bool | None = None,
    narrative: str = "",
    attachment: bytes | None = None,
    products=None,
) -> IndicatorValue:
    """Enter (or correct) the actor's organisation's figure for an indicator that is not computed, for one year
    and one category (or the whole). Only the field of the indicator's kind is kept. A narrative may link the
    organisation's knowledge products. Evidence: a note, and optionally one file of at most 5 MB checked by its
    own bytes. Every change is audited by id, never by its content."""
    _require_staff_of(actor, indicator)
    errors = []
    if indicator.computation:
        errors.append(_("This indicator is computed from records; it cannot be entered by hand."))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        errors.append(_("Give a year between %(first)d and %(last)d.") % {"first": FIRST_YEAR, "last": LAST_YEAR})
    if category is not None and (
        indicator.kind == Kind.NARRATIVE or not indicator.disaggregations.filter(pk=category.disaggregation_id).exists()
    ):
        errors.append(_("This indicator is not split by that category."))
    products = list(products) if products is not None and indicator.kind == Kind.NARRATIVE else None
    own = selectors.knowledge_products_of(organisation=actor.organisation)
    if products and own.filter(pk__in=[product.pk for product in products]).count() != len(set(products)):
        errors.append(_("Link only your organisation's own knowledge products."))
    errors += _figure_check(
        indicator,
        value=value,
        numerator=numerator,
        denominator=denominator,
        yes_no=yes_no,
        narrative=narrative,
        products=products,
    )
    note = evidence_note.strip()
    if not note:
        errors.append(_("Say where the figure comes from (the evidence)."))
    elif len(note) > MAX_NOTE:
        errors.append(_("Keep the evidence note under %(max)d characters.") % {"max": MAX_NOTE})
    if len(narrative) > MAX_NARRATIVE:
        errors.append(_("Keep the narrative under %(max)d characters.") % {"max": MAX_NARRATIVE})
    content = None
    if attachment is not None:
        kind = evidence_kind(attachment) if len(attachment) <= MAX_EVIDENCE_BYTES else None
        if len(attachment) > MAX_EVIDENCE_BYTES:
            errors.append(_("The file is over 5 MB; attach a smaller one."))
        elif kind is None:
            errors.append(_("Attach a PDF, PNG, JPEG, Word (docx), Excel (xlsx), OpenDocument text or CSV file."))
        content = (attachment, kind)
    if errors:
        raise MonitoringError(errors)
    fields = {
        "value": value if indicator.kind == Kind.COUNT else None,
        "numerator": numerator if indicator.kind == Kind.PERCENTAGE else None,
        "denominator": denominator if indicator.kind == Kind.PERCENTAGE else None,
        "yes_no": yes_no if indicator.kind == Kind.YES_NO else None,
        "narrative": narrative.strip() if indicator.kind == Kind.NARRATIVE else "",
        "evidence_note": note,
    }
    try:
        return _entry_write(actor, indicator, year, category, fields, content, products)
    except IntegrityError:
        # Only someone else entering the same figure at the same moment gets here.
        raise MonitoringError(_("Someone entered this figure at the same moment; look at it and try again.")) from None


def _require_own_entry(actor: Membership, entry: IndicatorValue) -> None:
    if actor.is_suspended or not actor.is_staff_role or entry.organisation_id != actor.organisation_id:
        raise PermissionDenied(_("Only staff and admins of an organisation can change its figures."))


@transaction.atomic
def indicator_value_delete(*, actor: Membership, entry: IndicatorValue) -> None:
    _require_own_entry(actor, entry)
    _delete_file_after_commit(entry.attachment.name)
    audit_record(
        actor=actor, action=AuditAction.INDICATOR_VALUE_DELETED, target_type="indicator_value", target_id=entry.pk
    )
    entry.delete()


def evidence_open(*, actor: Membership, entry: IndicatorValue):
    """The evidence file, opened for reading, and an audit entry saying who opened it: evidence may name people."""
    _require_own_entry(actor, entry)
    if not entry.attachment:
        raise MonitoringError(_("This figure has no file attached."))
    handle = entry.attachment.open("rb")
    audit_record(
        actor=actor, action=AuditAction.INDICATOR_EVIDENCE_VIEWED, target_type="indicator_value", target_id=entry.pk
    )
    return handle


def _delete_file_after_commit(name: str) -> None:
    if name:
        storage = IndicatorValue._meta.get_field("attachment").storage
        transaction.on_commit(partial(storage.delete, name))


# How figures are named for a national HIV programme (DHIS2) ----------------------------------------------------


@transaction.atomic
def export_mapping_save(*, actor: Membership, org_unit: str, data_set: str, codes: dict) -> ExportMapping:
    """Set the organisation's DHIS2 names (exports.mapping_parse checks `codes`); staff and admins only."""
    if actor.is_suspended or not actor.is_staff_role:
        raise PermissionDenied(_("Only staff and admins can change how figures are named."))
    mapping, _created = ExportMapping.objects.select_for_update().get_or_create(organisation=actor.organisation)
    mapping.org_unit, mapping.data_set, mapping.codes = org_unit.strip(), data_set.strip(), codes
    mapping.updated_at = clock.now()
    mapping.save()
    audit_record(
        actor=actor, action=AuditAction.EXPORT_MAPPING_CHANGED, target_type="export_mapping", target_id=mapping.pk
    )
    return mapping
