"""The framework file: reading YAML into checked plain data, and writing a framework back as readable YAML.

Reading trusts nothing in the file. It is refused when larger than MAX_BYTES, nested deeper than MAX_DEPTH or
holding more than MAX_EVENTS values (each would cost memory or seconds); anchors and aliases are refused
outright, because a few lines of them expand into gigabytes (the "billion laughs"), and a framework never
needs them; only plain YAML types are built (the safe loader); a key given twice is an error, not silently the
last one; every key must be known and every code unique. All errors are collected and each names its place in
the file ("strategies[1].directions[0].indicators[2]: kind 'sum' is not one of ..."), so an author can fix a
file in one go. Nothing here writes to the database: services.framework_import does, from the checked data.
"""

import re
from decimal import Decimal, InvalidOperation

import yaml
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from sombrilla.monitoring.computations import COMPUTATIONS
from sombrilla.monitoring.models import (
    FALLBACK_LANGUAGE,
    DataSource,
    EvaluationKind,
    Framework,
    Frequency,
    Indicator,
    Kind,
)

FORMAT = "sombrilla-framework/1"
MAX_BYTES = 2 * 1024 * 1024
# Past this many the rest are more of the same; the author fixes these first.
MAX_ERRORS = 50
MAX_TEXT = 5000
MAX_VALUE = Decimal("999999999999")
UNFOLDED = 1_000_000
# A framework file nests about ten deep (strategies, directions, indicators, targets ...).
MAX_DEPTH = 20
# The NSWP framework in two languages is about 3,200 YAML events (values, keys, lists and mappings).
MAX_EVENTS = 60_000
FIRST_YEAR, LAST_YEAR = 1900, 2200
FRAMEWORK_CODE = re.compile(r"^[a-z0-9]+(?:[-_.][a-z0-9]+)*$")
PART_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")


class FrameworkFileError(Exception):
    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


def languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


# Reading -------------------------------------------------------------------------------------------------


# libyaml (C) reads a file of the largest allowed size in well under a second; pure Python takes many.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeLoader):
    """The safe loader, refusing a key given twice (YAML itself would keep the last one silently), and reading
    2022-01-01 as text: a framework has no dates, and the date constructor fails on impossible ones."""

    yaml_implicit_resolvers = {
        first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in _SafeLoader.yaml_implicit_resolvers.items()
    }

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                repeated = key in seen
                seen.add(key)
            except TypeError:
                continue  # an unhashable key: the base class refuses it with its own message
            if repeated:
                raise yaml.constructor.ConstructorError(
                    None, None, _("the key %(key)r appears twice") % {"key": key}, key_node.start_mark
                )
        return super().construct_mapping(node, deep=deep)


def _scan(text: str) -> None:
    """Refuse anchors, aliases, tags, deep nesting and too many values by reading the events alone, before
    anything is built: building the tree is recursive and builds each value in Python, slow for hundreds of
    thousands. A framework needs no tags (!!binary, !!set ...), and some of their constructors fail on bad input.
    """
    depth = 0
    for number, event in enumerate(yaml.parse(text, Loader=_SafeLoader)):
        if number > MAX_EVENTS:
            raise yaml.MarkedYAMLError(
                problem=_("the file holds more than %(limit)s values; a framework needs far fewer")
                % {"limit": MAX_EVENTS},
                problem_mark=event.start_mark,
            )
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise yaml.MarkedYAMLError(
                problem=_("anchors and aliases (&name, *name) are not allowed"), problem_mark=event.start_mark
            )
        if getattr(event, "tag", None) is not None:
            raise yaml.MarkedYAMLError(problem=_("tags (!!name) are not allowed"), problem_mark=event.start_mark)
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise yaml.MarkedYAMLError(
                    problem=_("lists and mappings are nested more than %(limit)s deep") % {"limit": MAX_DEPTH},
                    problem_mark=event.start_mark,
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _load(data: str | bytes):
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > MAX_BYTES:
        raise FrameworkFileError(
            [
                _("The file is %(size)s; a framework file may be at most %(limit)s.")
                % {"size": filesizeformat(len(raw)), "limit": filesizeformat(MAX_BYTES)}
            ]
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FrameworkFileError([_("The file is not UTF-8 text.")]) from None
    try:
        _scan(text)
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader, stricter still
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or ""
        if mark is not None:
            where = _("line %(line)s, column %(column)s") % {"line": mark.line + 1, "column": mark.column + 1}
            problem = f"{where}: {problem}"
        raise FrameworkFileError([_("The file is not valid YAML: %(problem)s") % {"problem": problem}]) from None
    except (yaml.YAMLError, ValueError) as exc:
        # ValueError: a number too long for Python to read (over 4,300 digits).
        raise FrameworkFileError([_("The file is not valid YAML: %(problem)s") % {"problem": exc}]) from None


def _describe(value) -> str:
    if value is None:
        return _("nothing")
    if isinstance(value, bool):
        return _("yes/no")
    if isinstance(value, int | float):
        return _("a number")
    if isinstance(value, str):
        return _("text")
    if isinstance(value, list):
        return _("a list")
    if isinstance(value, dict):
        return _("a mapping")
    return type(value).__name__


class _Checker:
    """Walks the loaded file, collecting errors and returning the values it could check."""

    def __init__(self):
        self.errors: list[str] = []
        self.languages = languages()
        # Codes seen per kind of part, with where: a repeated code names the first place it was used.
        self.codes: dict[str, dict[str, str]] = {}

    def error(self, path: str, message: str) -> None:
        line = f"{path}: {message}" if path else message
        if line in self.errors:
            return  # a missing required text is noticed both by its mapping and by the text check
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(line)
        elif len(self.errors) == MAX_ERRORS:
            self.errors.append(_("... and more errors after these."))

    def missing(self, path: str, field: str) -> None:
        self.error(path, _("%(key)s is missing") % {"key": field})

    def mapping(self, value, path: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict:
        """The mapping at `path` with every required key present and no unknown key; {} when it is not one."""
        if not isinstance(value, dict):
            self.error(path, _("expected a mapping of keys and values, found %(found)s") % {"found": _describe(value)})
            return {}
        known = required + optional
        for key in value:
            if key not in known:
                self.error(
                    path,
                    _("unknown key %(key)r (expected one of: %(known)s)") % {"key": key, "known": ", ".join(known)},
                )
        for key in required:
            if key not in value:
                self.missing(path, key)
        return value

    def items(self, value, path: str) -> list:
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(path, _("expected a list, found %(found)s") % {"found": _describe(value)})
            return []
        return value

    def text(self, value, path: str, field: str, required: bool = True) -> dict[str, str]:
        """A text in one or more languages: {en: ..., ru: ...}. English is required whenever there is text."""
        if value is None:
            if required:
                self.missing(path, field)
            return {}
        if not isinstance(value, dict):
            self.error(
                path,
                _("%(field)s must be a mapping of language codes to text (en: ...), found %(found)s")
                % {"field": field, "found": _describe(value)},
            )
            return {}
        texts = {}
        for language, text in value.items():
            if language not in self.languages:
                self.error(
                    path,
                    _("%(field)s: language %(language)r is not one of %(languages)s")
                    % {"field": field, "language": language, "languages": ", ".join(self.languages)},
                )
            elif not isinstance(text, str) or not text.strip():
                self.error(
                    path,
                    _("%(field)s: the %(language)s text must be non-empty text")
                    % {"field": field, "language": language},
                )
            elif len(text) > MAX_TEXT:
                self.error(
                    path,
                    _("%(field)s: the %(language)s text is longer than %(limit)s characters")
                    % {"field": field, "language": language, "limit": MAX_TEXT},
                )
            else:
                texts[language] = text.strip()
        if (required or value) and FALLBACK_LANGUAGE not in value:
            self.error(path, _("%(field)s has no English text (en)") % {"field": field})
        return texts

    def code(self, value, path: str, kind: str | None = None, pattern: re.Pattern = PART_CODE) -> str:
        """A code: text of letters, digits, dots, hyphens and underscores, unique among the `kind` parts."""
        if value is None:
            self.missing(path, "code")
            return ""
        if not isinstance(value, str):
            self.error(
                path,
                _("code must be text, found %(found)s; put it in quotes, e.g. code: '1.1'")
                % {"found": _describe(value)},
            )
            return ""
        if not pattern.match(value):
            self.error(
                path, _("code %(code)r may only hold letters, digits, dots, hyphens and underscores") % {"code": value}
            )
            return ""
        if kind is not None:
            seen = self.codes.setdefault(kind, {})
            if value in seen:
                self.error(
                    path, _("code %(code)r is used already at %(first)s") % {"code": value, "first": seen[value]}
                )
            else:
                seen[value] = path
        return value

    def choice(self, value, path: str, field: str, choices: list[str], default: str | None = None) -> str:
        if value is None:
            if default is None:
                self.missing(path, field)
            return default or ""
        if value not in choices:
            self.error(
                path,
                _("%(field)s %(value)r is not one of %(choices)s")
                % {"field": field, "value": value, "choices": ", ".join(choices)},
            )
            return default or ""
        return value

    def year(self, value, path: str, field: str) -> int | None:
        if value is None:
            self.missing(path, field)
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not FIRST_YEAR <= value <= LAST_YEAR:
            self.error(
                path,
                _("%(field)s must be a year between %(first)s and %(last)s, found %(value)r")
                % {"field": field, "first": FIRST_YEAR, "last": LAST_YEAR, "value": value},
            )
            return None
        return value

    def value(self, value, path: str, field: str, kind: str) -> Decimal | None:
        """A baseline or target: 0 to 100 for a percentage, true/false for yes/no, a whole number for a count."""
        if value is None:
            self.missing(path, field)
            return None
        if kind == Kind.YES_NO:
            if isinstance(value, bool):
                return Decimal(int(value))
            self.error(
                path,
                _("%(field)s of a yes/no indicator must be true or false, found %(value)r")
                % {"field": field, "value": value},
            )
            return None
        number = None
        if isinstance(value, int | float) and not isinstance(value, bool):
            try:
                number = Decimal(str(value))
            except InvalidOperation:
                number = None
        if number is None or not number.is_finite() or number < 0 or number > MAX_VALUE:
            self.error(
                path,
                _("%(field)s must be a number of at least 0, found %(value)r") % {"field": field, "value": value},
            )
            return None
        if kind == Kind.COUNT and number != number.to_integral_value():
            self.error(
                path,
                _("%(field)s of a count must be a whole number, found %(value)r") % {"field": field, "value": value},
            )
            return None
        if kind == Kind.PERCENTAGE and number > 100:
            self.error(
                path,
                _("%(field)s of a percentage must be between 0 and 100, found %(value)r")
                % {"field": field, "value": value},
            )
            return None
        if number != number.quantize(Decimal("0.01")):
            self.error(
                path,
                _("%(field)s may have at most two decimals, found %(value)r") % {"field": field, "value": value},
            )
            return None
        return number


INDICATOR_KEYS = (
    "definition",
    "numerator",
    "denominator",
    "disaggregations",
    "frequency",
    "data_source",
    "computation",
    "baseline",
    "targets",
)


def _indicator(check: _Checker, node, path: str, disaggregations: set[str], period: tuple[int, int]) -> dict:
    node = check.mapping(node, path, ("code", "name", "kind"), INDICATOR_KEYS)
    kind = check.choice(node.get("kind"), path, "kind", Kind.values)
    spec = {
        "code": check.code(node.get("code"), path, "indicator"),
        "name": check.text(node.get("name"), path, "name"),
        "definition": check.text(node.get("definition"), path, "definition", required=False),
        "kind": kind,
        "frequency": check.choice(node.get("frequency"), path, "frequency", Frequency.values, Frequency.ANNUAL),
        "data_source": check.choice(node.get("data_source"), path, "data_source", DataSource.values, DataSource.MANUAL),
        "computation": "",
        "baseline_value": None,
        "baseline_year": None,
        "targets": [],
        "disaggregations": [],
    }
    for part in ("numerator", "denominator"):
        if kind == Kind.PERCENTAGE:
            spec[part] = check.text(node.get(part), path, part)
        else:
            spec[part] = {}
            if part in node:
                check.error(path, _("%(field)s belongs only to a percentage indicator") % {"field": part})

    for index, code in enumerate(check.items(node.get("disaggregations"), f"{path}.disaggregations")):
        where = f"{path}.disaggregations[{index}]"
        if not isinstance(code, str) or code not in disaggregations:
            check.error(
                where,
                _("%(code)r is not one of the disaggregations the file defines (%(known)s)")
                % {"code": code, "known": ", ".join(sorted(disaggregations)) or "-"},
            )
        elif code in spec["disaggregations"]:
            check.error(where, _("%(code)r is named twice") % {"code": code})
        else:
            spec["disaggregations"].append(code)

    computation = node.get("computation")
    source = spec["data_source"]
    if computation in (None, ""):
        if source == DataSource.RECORDS:
            check.error(path, _("an indicator computed from records needs a computation"))
    elif source == DataSource.MANUAL:
        check.error(path, _("an indicator entered by hand has no computation (found %(key)r)") % {"key": computation})
    elif not isinstance(computation, str) or computation not in COMPUTATIONS:
        check.error(
            path,
            _("computation %(key)r is not one of %(known)s") % {"key": computation, "known": ", ".join(COMPUTATIONS)},
        )
    elif COMPUTATIONS[computation].kind != kind:
        check.error(
            path,
            _("computation %(key)r gives a %(given)s, but the indicator's kind is %(kind)s")
            % {"key": computation, "given": COMPUTATIONS[computation].kind, "kind": kind},
        )
    else:
        spec["computation"] = computation

    has_numbers = "baseline" in node or node.get("targets")
    if kind == Kind.NARRATIVE and has_numbers:
        check.error(path, _("a documented narrative has no baseline or targets"))
    elif kind and has_numbers:
        _numbers(check, node, path, spec, period)
    return spec


def _numbers(check: _Checker, node: dict, path: str, spec: dict, period: tuple[int, int]) -> None:
    kind = spec["kind"]
    if "baseline" in node:
        where = f"{path}.baseline"
        baseline = check.mapping(node["baseline"], where, ("value", "year"))
        if baseline:
            spec["baseline_value"] = check.value(baseline.get("value"), where, "value", kind)
            spec["baseline_year"] = check.year(baseline.get("year"), where, "year")
    years = set()
    for index, target in enumerate(check.items(node.get("targets"), f"{path}.targets")):
        where = f"{path}.targets[{index}]"
        target = check.mapping(target, where, ("year", "value"))
        if not target:
            continue
        year = check.year(target.get("year"), where, "year")
        value = check.value(target.get("value"), where, "value", kind)
        if year is None or value is None:
            continue
        if not period[0] <= year <= period[1]:
            check.error(
                where,
                _("year %(year)s is outside the framework's period %(start)s-%(end)s")
                % {"year": year, "start": period[0], "end": period[1]},
            )
        elif year in years:
            check.error(where, _("there is already a target for %(year)s") % {"year": year})
        else:
            years.add(year)
            spec["targets"].append((year, value))


def _indicators(check: _Checker, node, path: str, disaggregations: set[str], period: tuple[int, int]) -> list:
    return [
        _indicator(check, item, f"{path}[{index}]", disaggregations, period)
        for index, item in enumerate(check.items(node, path))
    ]


def _disaggregations(check: _Checker, node) -> list[dict]:
    found = []
    for index, item in enumerate(check.items(node, "disaggregations")):
        path = f"disaggregations[{index}]"
        item = check.mapping(item, path, ("code", "name", "categories"))
        categories, category_codes = [], set()
        for position, category in enumerate(check.items(item.get("categories"), f"{path}.categories")):
            where = f"{path}.categories[{position}]"
            category = check.mapping(category, where, ("code", "name"))
            code = check.code(category.get("code"), where)
            if code in category_codes:
                check.error(where, _("code %(code)r is used already in this disaggregation") % {"code": code})
            category_codes.add(code)
            categories.append({"code": code, "name": check.text(category.get("name"), where, "name")})
        if item and not categories:
            check.error(path, _("a disaggregation needs at least one category"))
        found.append(
            {
                "code": check.code(item.get("code"), path, "disaggregation"),
                "name": check.text(item.get("name"), path, "name"),
                "categories": categories,
            }
        )
    return found


def _strategy(check: _Checker, node, path: str, disaggregations: set[str], period: tuple[int, int]) -> dict:
    node = check.mapping(node, path, ("code", "name"), ("approach", "results", "directions"))
    results = []
    for index, item in enumerate(check.items(node.get("results"), f"{path}.results")):
        where = f"{path}.results[{index}]"
        item = check.mapping(item, where, ("code", "name"), ("indicators",))
        results.append(
            {
                "code": check.code(item.get("code"), where, "result"),
                "name": check.text(item.get("name"), where, "name"),
                "indicators": _indicators(
                    check, item.get("indicators"), f"{where}.indicators", disaggregations, period
                ),
            }
        )
    own_results = {result["code"] for result in results}
    directions = []
    for index, item in enumerate(check.items(node.get("directions"), f"{path}.directions")):
        where = f"{path}.directions[{index}]"
        item = check.mapping(item, where, ("code", "name"), ("result", "activities", "indicators"))
        result = item.get("result")
        if result is not None and (not isinstance(result, str) or result not in own_results):
            check.error(
                where,
                _("result %(result)r is not one of this strategy's results (%(known)s)")
                % {"result": result, "known": ", ".join(sorted(own_results)) or "-"},
            )
        activities = []
        for position, activity in enumerate(check.items(item.get("activities"), f"{where}.activities")):
            activity_path = f"{where}.activities[{position}]"
            activity = check.mapping(activity, activity_path, ("name",))
            activities.append(check.text(activity.get("name"), activity_path, "name"))
        directions.append(
            {
                "code": check.code(item.get("code"), where, "direction"),
                "name": check.text(item.get("name"), where, "name"),
                "result": result if isinstance(result, str) and result in own_results else None,
                "activities": activities,
                "indicators": _indicators(
                    check, item.get("indicators"), f"{where}.indicators", disaggregations, period
                ),
            }
        )
    return {
        "code": check.code(node.get("code"), path, "strategy"),
        "name": check.text(node.get("name"), path, "name"),
        "approach": check.text(node.get("approach"), path, "approach", required=False),
        "results": results,
        "directions": directions,
    }


TOP_KEYS = (
    "source",
    "description",
    "mission",
    "theory_of_change",
    "goals",
    "disaggregations",
    "impact",
    "evaluation_points",
)


def framework_parse(data: str | bytes) -> dict:
    """The file's framework as checked plain data, or FrameworkFileError listing everything wrong with it."""
    check = _Checker()
    top = check.mapping(_load(data), "", ("format", "code", "name", "period", "strategies"), TOP_KEYS)
    if check.errors and not top:
        raise FrameworkFileError(check.errors)
    if "format" in top and top["format"] != FORMAT:
        check.error("", _("format %(found)r is not %(expected)r") % {"found": top["format"], "expected": FORMAT})
    period_node = check.mapping(top.get("period"), "period", ("start", "end")) if "period" in top else {}
    start = check.year(period_node.get("start"), "period", "start") if period_node else None
    end = check.year(period_node.get("end"), "period", "end") if period_node else None
    if start and end and end < start:
        check.error("period", _("end %(end)s is before start %(start)s") % {"end": end, "start": start})
    period = (start or FIRST_YEAR, end or LAST_YEAR)
    source = top.get("source", "")
    limit = Framework._meta.get_field("source").max_length
    if not isinstance(source, str) or len(source) > limit:
        check.error("", _("source must be text of at most %(limit)s characters") % {"limit": limit})
        source = ""

    disaggregations = _disaggregations(check, top.get("disaggregations"))
    known = {item["code"] for item in disaggregations}
    goals = []
    for index, item in enumerate(check.items(top.get("goals"), "goals")):
        path = f"goals[{index}]"
        item = check.mapping(item, path, ("code", "name"), ("description",))
        goals.append(
            {
                "code": check.code(item.get("code"), path, "goal"),
                "name": check.text(item.get("name"), path, "name"),
                "description": check.text(item.get("description"), path, "description", required=False),
            }
        )
    impact = check.mapping(top["impact"], "impact", (), ("statement", "indicators")) if "impact" in top else {}
    impact_indicators = _indicators(check, impact.get("indicators"), "impact.indicators", known, period)
    strategies = [
        _strategy(check, item, f"strategies[{index}]", known, period)
        for index, item in enumerate(check.items(top.get("strategies"), "strategies"))
    ]
    if "strategies" in top and not strategies:
        check.error("strategies", _("a framework needs at least one strategy"))
    evaluation_points = []
    for index, item in enumerate(check.items(top.get("evaluation_points"), "evaluation_points")):
        path = f"evaluation_points[{index}]"
        item = check.mapping(item, path, ("code", "kind", "name"), ("year", "description"))
        evaluation_points.append(
            {
                "code": check.code(item.get("code"), path, "evaluation_point"),
                "kind": check.choice(item.get("kind"), path, "kind", EvaluationKind.values),
                "year": check.year(item["year"], path, "year") if item.get("year") is not None else None,
                "name": check.text(item.get("name"), path, "name"),
                "description": check.text(item.get("description"), path, "description", required=False),
            }
        )
    spec = {
        "code": check.code(top.get("code"), "", pattern=FRAMEWORK_CODE) if "code" in top else "",
        "name": check.text(top.get("name"), "", "name") if "name" in top else {},
        "period_start": start,
        "period_end": end,
        "source": source.strip(),
        "description": check.text(top.get("description"), "", "description", required=False),
        "mission": check.text(top.get("mission"), "", "mission", required=False),
        "theory_of_change": check.text(top.get("theory_of_change"), "", "theory_of_change", required=False),
        "impact_statement": check.text(impact.get("statement"), "impact", "statement", required=False),
        "goals": goals,
        "disaggregations": disaggregations,
        "impact_indicators": impact_indicators,
        "strategies": strategies,
        "evaluation_points": evaluation_points,
    }
    if check.errors:
        raise FrameworkFileError(check.errors)
    return spec


# Writing -------------------------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Block style with lists indented under their key, and multi-line text as literal blocks."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def _represent_str(dumper, value: str):
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_Dumper.add_representer(str, _represent_str)


def _texts_out(texts: dict) -> dict:
    order = languages()
    ranked = sorted(texts, key=lambda language: order.index(language) if language in order else len(order))
    return {language: texts[language] for language in ranked if texts[language]}


def _number_out(value: Decimal, kind: str):
    if kind == Kind.YES_NO:
        return bool(value)
    return int(value) if value == value.to_integral_value() else float(value)


def _with_texts(out: dict, obj, *fields: str) -> dict:
    for field in fields:
        if getattr(obj, field):
            out[field] = _texts_out(getattr(obj, field))
    return out


def _indicator_out(indicator: Indicator) -> dict:
    out = _with_texts({"code": indicator.code}, indicator, "name", "definition")
    out["kind"] = indicator.kind
    if indicator.kind == Kind.PERCENTAGE:
        _with_texts(out, indicator, "numerator", "denominator")
    disaggregations = sorted(indicator.disaggregations.all(), key=lambda item: item.position)
    if disaggregations:
        out["disaggregations"] = [item.code for item in disaggregations]
    out["frequency"] = indicator.frequency
    out["data_source"] = indicator.data_source
    if indicator.computation:
        out["computation"] = indicator.computation
    if indicator.baseline_value is not None:
        out["baseline"] = {
            "value": _number_out(indicator.baseline_value, indicator.kind),
            "year": indicator.baseline_year,
        }
    targets = [{"year": t.year, "value": _number_out(t.value, indicator.kind)} for t in indicator.targets.all()]
    if targets:
        out["targets"] = targets
    return out


def _header() -> str:
    lines = [
        f"Sombrilla monitoring-and-evaluation framework ({FORMAT}). Load it with: sombrilla framework_import FILE",
        "Texts map language codes to text; English (en) is required. Quote codes that look like numbers: '1.1'.",
        "Indicator kinds: " + ", ".join(Kind.values) + ". Data sources: " + ", ".join(DataSource.values) + ".",
        "Frequencies: " + ", ".join(Frequency.values) + ". Evaluation kinds: " + ", ".join(EvaluationKind.values) + ".",
        "Computations an indicator computed from records or a survey may name, with the kind of value they give:",
        *(f"  {key}: {computation.kind}" for key, computation in COMPUTATIONS.items()),
    ]
    return "".join(f"# {line}\n" for line in lines)


def framework_dump(framework: Framework) -> str:
    """The framework as YAML in the order it reads; `framework` comes from selectors.framework_tree."""
    top = {"format": FORMAT, "code": framework.code, "name": _texts_out(framework.name)}
    top["period"] = {"start": framework.period_start, "end": framework.period_end}
    if framework.source:
        top["source"] = framework.source
    _with_texts(top, framework, "description", "mission", "theory_of_change")
    top["goals"] = [_with_texts({"code": goal.code}, goal, "name", "description") for goal in framework.goals.all()]
    top["disaggregations"] = [
        {
            "code": item.code,
            "name": _texts_out(item.name),
            "categories": [{"code": c.code, "name": _texts_out(c.name)} for c in item.categories.all()],
        }
        for item in framework.disaggregations.all()
    ]
    impact = {"statement": _texts_out(framework.impact_statement)} if framework.impact_statement else {}
    impact["indicators"] = [_indicator_out(indicator) for indicator in framework.impact_indicators]
    top["impact"] = impact
    top["strategies"] = [_strategy_out(strategy) for strategy in framework.strategies.all()]
    top["evaluation_points"] = []
    for point in framework.evaluation_points.all():
        out = {"code": point.code, "kind": point.kind}
        if point.year is not None:
            out["year"] = point.year
        top["evaluation_points"].append(_with_texts(out, point, "name", "description"))
    # No folding: each text stays on one line, so a changed sentence is a one-line diff.
    body = yaml.dump(top, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=UNFOLDED, default_flow_style=False)
    return _header() + body


def _strategy_out(strategy) -> dict:
    out = _with_texts({"code": strategy.code}, strategy, "name", "approach")
    out["results"] = [
        {
            "code": result.code,
            "name": _texts_out(result.name),
            "indicators": [_indicator_out(indicator) for indicator in result.indicators.all()],
        }
        for result in strategy.results.all()
    ]
    out["directions"] = []
    for direction in strategy.directions.all():
        item = {"code": direction.code, "name": _texts_out(direction.name)}
        if direction.result_id:
            item["result"] = direction.result.code
        item["activities"] = [{"name": _texts_out(activity.name)} for activity in direction.activities.all()]
        item["indicators"] = [_indicator_out(indicator) for indicator in direction.indicators.all()]
        out["directions"].append(item)
    return out
