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
