import copy
import functools

from django import forms
from django.forms.utils import flatatt
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django_countries.fields import LazyTypedChoiceField


def _copy_plain(obj):
    """What `copy.copy` makes of an object that keeps its state in `__dict__` (no `__slots__`,
    `__copy__`, `__reduce__` or `__setstate__` of its own, as Django's fields and widgets),
    without the trip through `__reduce_ex__` that costs most of a copy."""
    made = object.__new__(type(obj))
    made.__dict__.update(obj.__dict__)
    return made


_PLAIN_WIDGET_COPY = (forms.Widget.__deepcopy__, forms.widgets.ChoiceWidget.__deepcopy__)
_PLAIN_FIELD_COPY = (forms.Field.__deepcopy__, forms.ChoiceField.__deepcopy__)


def _copy_widget(widget, memo):
    copier = type(widget).__deepcopy__
    if copier not in _PLAIN_WIDGET_COPY:
        return copy.deepcopy(widget, memo)
    made = _copy_plain(widget)  # as Widget.__deepcopy__ and ChoiceWidget.__deepcopy__ do
    made.attrs = widget.attrs.copy()
    if copier is forms.widgets.ChoiceWidget.__deepcopy__:
        made.choices = copy.copy(widget.choices)
    memo[id(widget)] = made
    return made


def _copy_field(field, memo, plain: bool = False):
    copier = type(field).__deepcopy__
    if not plain and copier not in _PLAIN_FIELD_COPY:
        return copy.deepcopy(field, memo)
    made = _copy_plain(field)  # as Field.__deepcopy__ and ChoiceField.__deepcopy__ do
    memo[id(field)] = made
    made.widget = _copy_widget(field.widget, memo)
    made.error_messages = field.error_messages.copy()
    made.validators = field.validators[:]
    if copier is forms.ChoiceField.__deepcopy__:
        made._choices = copy.deepcopy(field._choices, memo)
    return made


class _Fields(dict):
    """A form class's fields, copied for each new form as Django's own `__deepcopy__` methods
    copy them, only faster: every form deep-copies all its fields, and the checkout's sixteen
    took 240 µs, 90 µs this way (#23, fifteenth round). A field or widget with a copy of its own
    is copied by it; tests/test_form_widgets.py compares the two copies for every form of the shop."""

    def __deepcopy__(self, memo):
        return {name: _copy_field(field, memo) for name, field in self.items()}


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
        obj = _copy_plain(self)
        obj.attrs = self.attrs.copy()
        memo[id(self)] = obj
        return obj


class CountryChoiceField(LazyTypedChoiceField):
    """The country list, shared by every form that shows it. Django deep-copies each field's
    choices into every new form; the 249 countries cost about a millisecond a form (most of
    building the checkout's form, #23). The list is never changed in place (a form that wants
    other countries sets new choices), so each form's field refers to the same one."""

    def __deepcopy__(self, memo):
        result = _copy_field(self, memo, plain=True)  # the widget, error messages, validators
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
        self.base_fields = _Fields(self.base_fields)  # read (and copied) by BaseForm.__init__
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
