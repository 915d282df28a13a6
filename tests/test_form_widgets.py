"""Form widgets rendered for speed (#23) render what Django's own would: the same markup, the
chosen value selected, every label escaped."""

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.test.html import parse_html
from django_countries import countries

from auroramart.core.forms import QuickSelect

CHOICES = [("", "Choose…"), ("SG", "Singapore"), ("x\"'<", '<b>Tricky</b> & "quoted"'), ("7", "Seven")]


@pytest.mark.parametrize("choices", [CHOICES, list(countries)], ids=["tricky", "countries"])
@pytest.mark.parametrize("value", [None, "", "SG", "x\"'<", "7", 7, "unknown", "MY"])
@pytest.mark.parametrize("attrs", [{}, {"id": "id_country", "required": True, "aria-invalid": "true"}])
def test_quick_select_renders_what_django_s_select_renders(choices, value, attrs):
    quick = QuickSelect(attrs={"autocomplete": "country"}, choices=choices)
    django = forms.Select(attrs={"autocomplete": "country"}, choices=choices)
    expected = django.render("country", value, attrs=attrs, renderer=DjangoTemplates())
    assert parse_html(quick.render("country", value, attrs=attrs)) == parse_html(expected)
    assert "<b>" not in quick.render("country", value, attrs=attrs)


def test_the_checkout_keeps_the_country_chosen_when_the_form_comes_back_with_an_error():
    from auroramart.orders.forms import CheckoutForm

    form = CheckoutForm(data={"country": "MY", "postal_code": ""}, addresses=[], cards=[], guest=True)
    form.is_valid()
    html = str(form["country"])
    assert '<option value="MY" selected>Malaysia</option>' in html and html.count(" selected") == 1


def test_forms_share_the_country_list_yet_each_keeps_its_own_widget():
    """Each form's country widget refers to the one list of countries (copying it for every
    form was most of building the checkout's form), but what one form changes stays its own:
    an error's marking, and a list of countries of its own."""
    from auroramart.orders.forms import CheckoutForm

    first = CheckoutForm(data={"address": "new", "country": "XX"}, addresses=[], cards=[], guest=True)
    second = CheckoutForm(None, addresses=[], cards=[], guest=True)
    assert first.fields["country"].widget.choices is second.fields["country"].widget.choices
    first.is_valid()
    assert "aria-invalid" in first.fields["country"].widget.attrs
    assert "aria-invalid" not in second.fields["country"].widget.attrs
    assert "aria-invalid" not in str(second["country"])

    first.fields["country"].choices = [("SG", "Singapore"), ("MY", "Malaysia")]
    assert str(first["country"]).count("<option") == 2
    assert str(second["country"]).count("<option") == len(list(countries))
    assert str(CheckoutForm(None, addresses=[], cards=[])["country"]).count("<option") == len(list(countries))


@pytest.mark.parametrize("guest", [True, False], ids=["guest", "customer"])
def test_held_checkout_fields_render_what_they_would_and_never_another_forms_input(guest):
    """#23: the checkout's address fields of an unbound form are rendered once and held; what
    is held is what each form would render itself, and a form with input or errors (bound) is
    never answered from it."""
    from django.template import Context, Template

    from auroramart.core.templatetags.form_fields import _render
    from auroramart.orders.forms import CheckoutForm

    tag = Template("{% form_field field %}")
    assert set(CheckoutForm.held_fields) >= {"full_name", "line1", "postal_code", "country"}
    for _ in range(2):  # rendered, then held
        form = CheckoutForm(None, addresses=[], cards=[], guest=guest)
        for name in CheckoutForm.held_fields:
            if name in form.fields:
                assert tag.render(Context({"field": form[name]})) == str(_render(form[name]))
    typed = CheckoutForm(
        data={"address": "new", "full_name": "Ada <Lovelace>", "postal_code": "12", "country": "MY"},
        addresses=[],
        cards=[],
        guest=guest,
    )
    typed.is_valid()
    html = {
        name: tag.render(Context({"field": typed[name]}))
        for name in ("full_name", "postal_code", "country", "phone")
    }
    assert 'value="Ada &lt;Lovelace&gt;"' in html["full_name"]
    assert 'role="alert"' in html["postal_code"] and 'aria-invalid="true"' in html["postal_code"]
    assert '<option value="MY" selected>' in html["country"]
    assert "required for a new address" in html["phone"]
    fresh = CheckoutForm(None, addresses=[], cards=[], guest=guest)
    assert "Lovelace" not in tag.render(Context({"field": fresh["full_name"]}))
    assert 'role="alert"' not in tag.render(Context({"field": fresh["postal_code"]}))


def _styled_forms():
    """Every form class of the shop that is built through StyledFormMixin."""
    import importlib

    from auroramart.core.forms import StyledFormMixin

    for module in (
        "accounts.forms",
        "admin_panel.forms",
        "campaigns.forms",
        "catalog.forms",
        "catalog.product_forms",
        "orders.forms",
        "pages.forms",
    ):
        importlib.import_module(f"auroramart.{module}")
    found, todo = set(), [StyledFormMixin]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                todo.append(sub)
    return sorted((f for f in found if hasattr(f, "base_fields")), key=lambda f: f.__qualname__)


def _shape(field):
    """What a copy of a field must reproduce, and which parts it must not share."""
    from django.db.models import QuerySet

    widget = field.widget
    comparable = lambda v: str(v.query) if isinstance(v, QuerySet) else v  # noqa: E731 -- a copy's is a new one
    return {
        "type": type(field),
        "state": {k: comparable(v) for k, v in vars(field).items() if k not in ("widget", "_choices")},
        "choices": list(getattr(field, "_choices", []) or []),
        "widget": (type(widget), {k: v for k, v in vars(widget).items() if k != "choices"}),
        "widget_choices": list(getattr(widget, "choices", []) or []),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("form_class", _styled_forms(), ids=lambda f: f.__qualname__)
def test_each_form_copies_its_fields_as_django_would_and_shares_nothing_it_may_change(form_class):
    """The fields are copied faster than Django's deepcopy (core/forms.py, _Fields), and the copy
    is the same: every attribute equal, and what a form changes (attributes, error messages,
    validators, choices) its own, never the class's or another form's."""
    import copy

    from auroramart.core.forms import _Fields

    ours = copy.deepcopy(_Fields(form_class.base_fields))
    django = copy.deepcopy(dict(form_class.base_fields))
    assert list(ours) == list(django)
    for name, field in ours.items():
        original = form_class.base_fields[name]
        assert field is not original and field.widget is not original.widget, name
        assert _shape(field) == _shape(django[name]), name
        assert field.widget.attrs is not original.widget.attrs, name
        assert field.error_messages is not original.error_messages, name
        assert field.validators is not original.validators, name
        if (
            isinstance(original, forms.ChoiceField)
            and type(original).__deepcopy__ is forms.ChoiceField.__deepcopy__
        ):
            assert field._choices is not original._choices or original._choices == [], name


def test_a_form_s_changes_to_its_fields_stay_its_own():
    """An error's marking and new choices on one checkout form reach neither the next form nor
    the form class (the fields each form gets are copies)."""
    from auroramart.orders.forms import CheckoutForm

    first = CheckoutForm(data={"address": "new", "full_name": ""}, addresses=[], cards=[], guest=False)
    first.is_valid()
    assert first.fields["full_name"].widget.attrs.get("aria-invalid") == "true"
    first.fields["card"].choices = [("x", "Mine")]
    first.fields["full_name"].validators.append(lambda value: None)
    second = CheckoutForm(addresses=[], cards=[], guest=False)
    for form_fields in (second.fields, CheckoutForm.base_fields):
        assert "aria-invalid" not in form_fields["full_name"].widget.attrs
        assert ("x", "Mine") not in list(form_fields["card"].choices)
        assert len(form_fields["full_name"].validators) == len(
            CheckoutForm.base_fields["full_name"].validators
        )
