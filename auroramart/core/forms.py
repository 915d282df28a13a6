from django import forms

_CLASSES = {
    forms.CheckboxInput: "checkbox",
    forms.Select: "select select-bordered w-full",
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
