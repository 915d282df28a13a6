"""{% form_field form.email %}: one form field as every form in the shop shows it, its label
(with a star when required), its widget, its help and its errors. A tag rather than an included
template (#23): the checkout shows eight, and including a template for each cost more than
rendering their widgets. Loaded for every template (settings.TEMPLATES "builtins").

A form may name the fields it shows the same to everyone while it is unbound (`held_fields`:
no choices, attributes or initial values of their own per form): those are rendered once and
held, keyed by everything they show (the checkout's address fields, #23)."""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from auroramart.core.held import Held

register = template.Library()

REQUIRED = mark_safe(' <span aria-hidden="true" class="text-error">*</span>')  # noqa: S308 -- a fixed string


_held_fields: Held[SafeString] = Held(size=256, seconds=3600)


@register.simple_tag
def form_field(field) -> SafeString:
    form = field.form
    if form.is_bound or field.name not in getattr(form, "held_fields", ()):
        return _render(field)
    widget = field.field.widget
    shows = repr(
        (
            f"{type(form).__module__}.{type(form).__qualname__}",
            form.prefix,
            form.auto_id,
            field.name,
            field.label,
            field.help_text,
            field.field.required,
            field.value(),
            sorted(widget.attrs.items()),
        )
    )
    html = _held_fields.get(shows)
    if html is None:
        html = _render(field)
        _held_fields.put(shows, html)
    return html


def _render(field) -> SafeString:
    label = format_html(
        '<label class="label" for="{}"><span class="label-text">{}{}</span></label>',
        field.id_for_label,
        field.label,
        REQUIRED if field.field.required else "",
    )
    help_text = (
        format_html(
            '<p class="text-xs text-base-content/70 mt-1" id="{}_help">{}</p>',
            field.id_for_label,
            field.help_text,
        )
        if field.help_text
        else ""
    )
    errors = format_html_join(
        "", '<p class="text-error text-sm mt-1" role="alert">{}</p>', ((error,) for error in field.errors)
    )
    return format_html(
        '<div class="form-control w-full mb-3">\n  {}\n  {}\n  {}{}\n</div>', label, field, help_text, errors
    )
