"""Hostile markup in an article is neutralised: by the Markdown renderer (raw HTML off), by the sanitiser alone
(in case the renderer ever lets something through), and on the two pages that show article HTML unescaped,
the staff preview and the member's article page."""

import re

import pytest
from django.test import Client

from sombrilla.conftest import log_in
from sombrilla.rights import markup
from sombrilla.rights.tests.factories import make_article, write

HOSTILE = {
    "script": "<script>alert('x')</script>",
    "script in markdown link text": "[<script>alert(1)</script>](https://ok.example)",
    "img onerror": '<img src=x onerror="alert(1)">',
    "onclick": '<a href="https://ok.example" onclick="alert(1)">x</a>',
    "svg onload": '<svg onload="alert(1)"><script>alert(2)</script></svg>',
    "iframe": '<iframe src="https://evil.example"></iframe>',
    "object": '<object data="https://evil.example/x.swf"></object>',
    "form": '<form action="https://evil.example"><input name="passphrase"><button>Go</button></form>',
    "style element": "<style>body{display:none}</style>",
    "style attribute": '<p style="position:fixed;inset:0;background:url(https://evil.example/x)">x</p>',
    "meta refresh": '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    "base": '<base href="https://evil.example/">',
    "javascript link": "[tap](javascript:alert(1))",
    "mixed case": "[tap](JaVaScRiPt:alert(1))",
    "entity-encoded": "[tap](&#106;avascript:alert(1))",
    "hex entity": "[tap](&#x6A;avascript&#x3A;alert(1))",
    "tab inside": "[tap](java\tscript:alert(1))",
    "leading space": "[tap]( javascript:alert(1))",
    "autolink": "<javascript:alert(1)>",
    "reference link": "[tap][x]\n\n[x]: javascript:alert(1)",
    "data link": "[tap](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "vbscript link": "[tap](vbscript:msgbox(1))",
    "image": "![x](https://evil.example/track.png)",
    "image with js": '![x" onerror="alert(1)](javascript:alert(1))',
    "html link javascript": '<a href="javascript:alert(1)">tap</a>',
    "comment": "<!-- <script>alert(1)</script> -->",
    "template": "{{ 7|add:7 }}{% debug %}",
}
# What must never appear in sanitised output, in any letter case: these tags, and inside any tag an event
# handler, a style, a source to load or a link to a script or data. The same words as text are harmless.
FORBIDDEN = re.compile(
    r"<(script|style|iframe|object|embed|svg|math|form|input|img|meta|base|button|h1)\b"
    r"|<[^>]*\s(on\w+|style|src|srcdoc|action)\s*="
    r"|<[^>]*href\s*=\s*\"?\s*(javascript|vbscript|data):|<[^>]*href=\"?https://evil",
    re.IGNORECASE,
)


def _safe(html: str) -> bool:
    return FORBIDDEN.search(html) is None


@pytest.mark.parametrize("name", list(HOSTILE))
def test_it_neutralises_hostile_markdown(name):
    assert _safe(markup.render(HOSTILE[name])), markup.render(HOSTILE[name])


@pytest.mark.parametrize(
    "raw",
    [
        '<p onclick="alert(1)" style="color:red">x</p>',
        '<a href="JaVaScRiPt:alert(1)">x</a>',
        '<a href="&#106;avascript:alert(1)">x</a>',
        '<a href="data:text/html,<script>alert(1)</script>">x</a>',
        '<a href="vbscript:x" target="_blank">x</a>',
        "<svg><script>alert(1)</script></svg>",
        "<math><mi xlink:href='javascript:alert(1)'>x</mi></math>",
        '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
        "<style>@import url(https://evil.example/x.css)</style>",
        '<form action="https://evil.example"><input name="x"></form>',
        '<img src="https://evil.example/x" onerror="alert(1)">',
        '<h1 style="font-size:99em">Big</h1>',
    ],
)
def test_it_sanitises_html_that_reaches_the_sanitiser_directly(raw):
    """The second lock on its own: markdown-it never emits these, but if it ever did, nothing would get out."""
    assert _safe(markup.sanitise(raw)), markup.sanitise(raw)


def test_it_keeps_the_allowed_markup_and_marks_links():
    html = markup.render(
        "# Title\n\n## Part\n\n### Sub\n\nText with **bold**, *em* and `code`.\n\n- one\n- two\n\n1. first\n\n"
        "> quoted\n\n---\n\n[site](https://ok.example/a) [page](/rights/) [mail](mailto:help@ok.example) "
        "[call](tel:+254700000000)"
    )
    for expected in (
        "<h2>Title</h2>",
        "<h2>Part</h2>",
        "<h3>Sub</h3>",
        "<strong>bold</strong>",
        "<em>em</em>",
        "<code>code</code>",
        "<ul>\n<li>one</li>",
        "<ol>\n<li>first</li>",
        "<blockquote>\n<p>quoted</p>\n</blockquote>",
        "<hr>",
        '<a href="https://ok.example/a" rel="noopener noreferrer">site</a>',
        '<a href="/rights/" rel="noopener noreferrer">page</a>',
        '<a href="mailto:help@ok.example" rel="noopener noreferrer">mail</a>',
        '<a href="tel:+254700000000" rel="noopener noreferrer">call</a>',
    ):
        assert expected in html, expected
    assert "<h1" not in html


def test_it_shows_an_images_description_as_text_and_loads_nothing():
    assert markup.render("![A map of the area](https://evil.example/map.png)") == "<p>A map of the area</p>"


def _main(response) -> str:
    return response.content.decode().split('<main id="main">', 1)[1].split("</main>", 1)[0]


def test_it_neutralises_every_hostile_sample_in_the_staff_preview_and_on_the_members_page(carol, alice):
    body = "\n\n".join(HOSTILE.values())
    article = make_article(carol)
    preview = log_in(Client(), carol).post(
        f"/staff/rights/{article.pk}/version/?language=en",
        {"title": "Hostile", "body": body, "provenance": "original", "action": "preview"},
    )
    assert preview.status_code == 200
    shown = _main(preview).split("Preview: what members will see</h2>", 1)[1].split("</div>", 1)[0]
    assert _safe(shown), shown
    assert "&lt;script&gt;alert" in shown
    write(carol, article, title="Hostile", body=body)
    page = log_in(Client(), alice).get(f"/rights/{article.pk}/")
    assert page.status_code == 200
    # After the title and its icon: the summary and the text.
    article_html = _main(page).split("</h1>", 1)[1].split("</article>", 1)[0]
    assert _safe(article_html), article_html
    assert "&lt;script&gt;alert" in article_html  # shown as the text it is
