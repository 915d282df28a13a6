"""The Jinja2 environment for the templates of the pages where money is made (#23).

The cart's and the checkout's bodies are rendered per request, for the shopper's own cart,
and could not be held or shared like the catalogue's pages: in the Django template language
they were about a quarter of the checkout page's CPU. They live in auroramart/jinja2/ and
render with this environment (settings.TEMPLATES, the engine named "jinja2"); every other
template stays in the Django template language. What they need from the shop is here, each
the same function the Django templates use: one home per rule.
"""

from django.template.loader import render_to_string
from django.utils.text import capfirst
from jinja2 import Environment, Undefined

from auroramart.core.money import format_money
from auroramart.core.reversing import reverse_held
from auroramart.core.templatetags.form_fields import form_field


def form_errors(form) -> str:
    """The form's errors, as accounts/_form_errors.html shows them on every form of the shop."""
    if not form.errors:
        return ""
    return render_to_string("accounts/_form_errors.html", {"form": form}, using="django")


def environment(**options) -> Environment:
    # The same in the demo (DEBUG) as in production and under test: Django's backend would
    # print an undefined name as "{{ name }}" when DEBUG is on.
    options["undefined"] = Undefined
    env = Environment(**options)  # noqa: S701 -- Django's backend turns autoescape on
    env.globals.update(url=reverse_held, form_field=form_field, form_errors=form_errors)
    env.filters.update(money=format_money, capfirst=capfirst)
    return env
