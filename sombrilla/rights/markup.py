"""Markdown to safe HTML for rights articles, and back to plain text for speech.

Two locks: markdown-it renders with raw HTML off (anything that looks like a tag comes out as text), then nh3
keeps only an explicit allow-list of tags, one attribute (a link's href) and four URL schemes, whatever the
renderer let through. Never render article text any other way: this is the only HTML a page shows unescaped.
"""

import html
import re

import nh3
from django.utils.html import strip_tags
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml

ALLOWED_TAGS = {"p", "h2", "h3", "ul", "ol", "li", "strong", "em", "a", "blockquote", "br", "hr", "code"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
# Relative links (to another page of this site) pass too: nh3 keeps them as written.
ALLOWED_SCHEMES = {"http", "https", "mailto", "tel"}
# Dropped with everything inside them, not just their tags: their text is code or styling, never content.
DROPPED_WITH_CONTENT = {"script", "style", "template", "iframe", "object", "embed", "svg", "math", "noscript"}

_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
# An image would load from another host and cost data: only its description is shown, as text.
_renderer.add_render_rule("image", lambda _self, tokens, idx, _options, _env: escapeHtml(tokens[idx].content))


def _headings_below_the_title(tokens) -> None:
    """The page's own title is the h1, so an article's headings start at h2 and go no deeper than h3."""
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = "h2" if token.tag in ("h1", "h2") else "h3"


def render(source: str) -> str:
    """Markdown source -> sanitised HTML, safe to mark as safe in a template."""
    tokens = _renderer.parse(source)
    _headings_below_the_title(tokens)
    return sanitise(_renderer.renderer.render(tokens, _renderer.options, {}))


def sanitise(markup: str) -> str:
    """Whatever HTML comes in, only the allow-list comes out; links get rel="noopener noreferrer"."""
    return nh3.clean(
        markup,
        tags=ALLOWED_TAGS,
        clean_content_tags=DROPPED_WITH_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    ).strip()


def plain_text(rendered_html: str) -> str:
    """The words of sanitised HTML, one block a line, for reading aloud."""
    text = html.unescape(strip_tags(rendered_html))
    return re.sub(r"\n\s*\n+", "\n", text).strip()
