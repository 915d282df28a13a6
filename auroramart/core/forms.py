import copy
import functools

from django import forms
from django.forms.utils import flatatt
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django_countries.fields import LazyTypedChoiceField


@functools.lru_cache(maxsize=64)
def _options_html(choices: tuple[tuple[str, str], ...]) -> str:
    return "".join(
        str(format_html('<option value="{}">{}</option>', value, label)) for value, label in choices
    )


class QuickSelect(forms.Select):
    """A <select> whose options are rendered once per list of choices and kept: Django renders
    every option through a template, and the 249 countries of the address form cost more than
    all the rest of the checkout page. The same markup as Django's Select."""

    def render(self, name, value, attrs=None, renderer=None):
        choices = tuple((str(v) if v is not None else "", str(label)) for v, label in self.choices)
        if self.allow_multiple_selected or any(isinstance(label, list | tuple) for _, label in self.choices):
            return super().render(name, value, attrs, renderer)
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        options = _options_html(choices)
        chosen = next((v for v in self.format_value(value) if v in dict(choices)), None)
        if chosen is not None:
            tag = f'<option value="{escape(chosen)}">'
            options = options.replace(tag, f"{tag[:-1]} selected>", 1)
        return mark_safe(f"<select{flatatt(final)}>{options}</select>")  # noqa: S308 -- escaped above

    def __deepcopy__(self, memo):
        # Django's copy normalises the choices again for every form (the 249 countries: about
        # 0.4 ms a checkout form, #23). They are shared instead: Django replaces a widget's
        # choices when a form sets new ones, never changes them in place.
        obj = copy.copy(self)
        obj.attrs = self.attrs.copy()
        memo[id(self)] = obj
        return obj


class CountryChoiceField(LazyTypedChoiceField):
    """The country list, shared by every form that shows it. Django deep-copies each field's
    choices into every new form; the 249 countries cost about a millisecond a form (most of
    building the checkout's form, #23). The list is never changed in place (a form that wants
    other countries sets new choices), so each form's field refers to the same one."""

    def __deepcopy__(self, memo):
        result = forms.Field.__deepcopy__(self, memo)  # the widget, error messages, validators
        result._choices = self._choices
        return result


_CLASSES = {
    forms.CheckboxInput: "checkbox",
    forms.Select: "select select-bordered w-full",
    QuickSelect: "select select-bordered w-full",
    forms.SelectMultiple: "select select-bordered w-full",
    forms.Textarea: "textarea textarea-bordered w-full",
    forms.ClearableFileInput: "file-input file-input-bordered w-full",
    forms.FileInput: "file-input file-input-bordered w-full",
    forms.RadioSelect: "radio",
    forms.CheckboxSelectMultiple: "checkbox checkbox-sm mr-2",
}


class StyledFormMixin:
    """Gives every widget the DaisyUI classes and marks invalid fields for screen readers."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            css = next(
                (c for cls, c in _CLASSES.items() if type(widget) is cls),
                "input input-bordered w-full",
            )
            widget.attrs.setdefault("class", css)

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["aria-invalid"] = "true"
                attrs["class"] = attrs.get("class", "") + " input-error"


def safe_next(request, fallback: str) -> str:
    """The `next` the request names when it stays on this site, else the fallback
    (a URL name or path): never an open redirect to another host."""
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback
