"""Every email the shop sends is branded HTML with a plain-text alternative, from one base
template (emails/base.html) with its CSS inlined (css-inline: mail clients drop <style>).

A message names its own template (emails/<name>.html, extending the base) or leaves it to
the generic one, which lays out the plain text: paragraphs, links made buttons. Either way
it goes through the outbox (core/outbox.py), so it survives a broker outage and goes once.
"""

import re

import css_inline
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.module_loading import import_string

URL = re.compile(r"https?://\S+")
_inliner = css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)


def render_html(*, subject: str, text: str, template: str = "", context: dict | None = None) -> str:
    """The HTML part of a message: its own template, or the plain text laid out."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.strip()):
        words: list[str] = []
        links: list[dict] = []
        for line in (line.strip() for line in block.splitlines()):
            if URL.fullmatch(line):  # a link on a line of its own is a button, named by "Label:" above it
                label = words.pop()[:-1] if words and words[-1].endswith(":") else "Open in the shop"
                links.append({"url": line, "label": label})
            else:
                words.append(line)
        paragraphs.append({"lines": words, "links": links})
    html = render_to_string(
        template or "emails/message.html",
        {
            "subject": subject,
            "paragraphs": paragraphs,
            "site_url": settings.SITE_URL,
            "shop_name": settings.SHOP_NAME,
            "shop_legal_name": settings.SHOP_LEGAL_NAME,
            "shop_address": settings.SHOP_ADDRESS,
            **(context or {}),
        },
    )
    return _inliner.inline(html)


def render_attachment(spec: dict) -> tuple[str, bytes, str]:
    """(file name, content, MIME type) of an attachment named in the outbox, made when sent."""
    spec = dict(spec)
    renderer = import_string(settings.EMAIL_ATTACHMENTS[spec.pop("kind")])
    return renderer(**spec)
