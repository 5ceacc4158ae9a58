"""A task's instructions: Markdown from `spiffworkflow:instructionsForEndUser`, with
Jinja-style `{{ name }}` placeholders filled from the case's data.

Both steps treat the text as untrusted (it comes from a BPMN file edited in a browser):
placeholders render in a sandboxed Jinja environment, raw HTML in the Markdown is not
allowed, and the produced HTML is cleaned by nh3 before it reaches the page.
"""
import nh3
from jinja2 import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markdown_it import MarkdownIt
from markupsafe import Markup

_jinja = ImmutableSandboxedEnvironment(autoescape=False)
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
MAX_CHARS = 20_000


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
    return Markup(nh3.clean(html, link_rel="noopener noreferrer nofollow"))
