"""{% form_field form.email %}: one form field as every form in the shop shows it, its label
(with a star when required), its widget, its help and its errors. A tag rather than an included
template (#23): the checkout shows eight, and including a template for each cost more than
rendering their widgets. Loaded for every template (settings.TEMPLATES "builtins")."""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

REQUIRED = mark_safe(' <span aria-hidden="true" class="text-error">*</span>')  # noqa: S308 -- a fixed string


@register.simple_tag
def form_field(field) -> SafeString:
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
