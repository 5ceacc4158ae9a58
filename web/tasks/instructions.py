"""A task's instructions: Markdown from `spiffworkflow:instructionsForEndUser`, with
Jinja-style `{{ name }}` placeholders filled from the case's data.

Both steps treat the text as untrusted (it comes from a BPMN file edited in a browser):
placeholders render in a sandboxed Jinja environment, raw HTML in the Markdown is not
allowed, and the produced HTML is cleaned by nh3 before it reaches the page. An image from
another site would tell that site who read the page and when: it becomes a link instead, and
nh3 drops any image whose address is not on this site (the CSP's img-src refuses it too).
"""
import nh3
from jinja2 import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

_jinja = ImmutableSandboxedEnvironment(autoescape=False)
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
MAX_CHARS = 20_000


def _local(url: str) -> bool:
    return url.startswith("/") and not url.startswith("//") and "\\" not in url


def _image(renderer, tokens, idx, options, env):
    token = tokens[idx]
    src = token.attrGet("src") or ""
    if _local(src):
        return renderer.image(tokens, idx, options, env)
    alt = renderer.renderInlineAsText(token.children or [], options, env) or src
    return f'<a href="{escape(src)}">{escape(alt)}</a>'


_markdown.add_render_rule("image", _image)


def _attribute(tag: str, attribute: str, value: str):
    if tag == "img" and attribute == "src" and not _local(value):
        return None
    return value


def fill(text: str, data: dict) -> str:
    try:
        return _jinja.from_string(text).render(**{k: v for k, v in (data or {}).items()
                                                  if isinstance(k, str) and k.isidentifier()})
    except TemplateError:
        return text  # a broken placeholder shows as written rather than failing the page
    except Exception:  # noqa: BLE001 - a sandbox refusal or a bad value: show the text as is
        return text


def render_instructions(text: str | None, data: dict | None = None) -> Markup:
    if not text:
        return Markup("")
    html = _markdown.render(fill(text[:MAX_CHARS], data or {}))
    return Markup(nh3.clean(html, link_rel="noopener noreferrer nofollow",
                            attribute_filter=_attribute))
