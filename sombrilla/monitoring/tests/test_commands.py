"""`sombrilla framework_import` and `framework_export`, called as an operator would."""

import io

import pytest
from django.core.management import CommandError, call_command

from sombrilla.monitoring import services
from sombrilla.monitoring.models import Framework
from sombrilla.monitoring.tests.factories import as_yaml, small_framework, snapshot

pytestmark = pytest.mark.django_db


def _run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_it_loads_the_shipped_framework_and_says_what_it_holds():
    out = _run("framework_import", "--shipped", "nswp-2022-25")
    assert out == (
        "Imported framework nswp-2022-25: 8 goals, 3 strategies, 4 results, 12 directions, 46 activities, "
        "78 indicators, 3 evaluation points.\n"
    )
    # The demo loads it on every start: with --replace that changes nothing.
    before = snapshot()
    _run("framework_import", "--shipped", "nswp-2022-25", "--replace")
    assert snapshot() == before


def test_it_exports_and_imports_a_file_through_the_commands(tmp_path, org_a):
    _run("framework_import", "--shipped", "nswp-2022-25")
    network = Framework.objects.get()
    printed = _run("framework_export", "nswp-2022-25")
    assert printed == services.framework_export(framework=network)
    path = tmp_path / "nswp.yaml"
    _run("framework_export", "nswp-2022-25", "--output", str(path))
    assert path.read_text(encoding="utf-8") == printed
    _run("framework_import", str(path), "--organisation", "org-a")
    own = Framework.objects.get(organisation=org_a)
    assert _run("framework_export", "nswp-2022-25", "--organisation", "org-a") == printed
    assert own.pk != network.pk


def test_it_reports_every_error_of_a_bad_file_and_imports_nothing(tmp_path):
    data = small_framework()
    data["strategies"][1]["directions"][0]["indicators"][2]["kind"] = "sum"
    data["period"]["end"] = 1800
    path = tmp_path / "bad.yaml"
    path.write_text(as_yaml(data), encoding="utf-8")
    with pytest.raises(CommandError) as raised:
        _run("framework_import", str(path))
    message = str(raised.value)
    assert message.startswith(f"{path} was not imported:\n")
    assert "strategies[1].directions[0].indicators[2]: kind 'sum' is not one of" in message
    assert "period: end must be a year between 1900 and 2200, found 1800" in message
    assert not Framework.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("framework_import",), "Give either the path of a framework file or --shipped CODE."),
        (("framework_import", "x.yaml", "--shipped", "nswp-2022-25"), "Give either"),
        (("framework_import", "/nonexistent/frame.yaml"), "Cannot read /nonexistent/frame.yaml"),
        (("framework_import", "--shipped", "nswp-2022-25", "--organisation", "nobody"), "no organisation 'nobody'"),
        (("framework_export", "nswp-2022-25"), "There is no framework 'nswp-2022-25'."),
        (("framework_export", "nswp-2022-25", "--organisation", "nobody"), "no organisation 'nobody'"),
    ],
)
def test_it_explains_what_it_cannot_do(args, message):
    with pytest.raises(CommandError, match=message):
        _run(*args)
