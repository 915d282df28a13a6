import re
import uuid

from django import forms
from django.conf import settings
from django.utils import timezone

from auroramart.accounts.forms import PHONE, POSTAL_CODE
from auroramart.core.forms import StyledFormMixin
from auroramart.payments.gateway import Card, luhn_valid

from .models import ReturnRequest
from .services import ShippingAddress

EXPIRY = re.compile(r"^\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*$")


class CheckoutForm(StyledFormMixin, forms.Form):
    address = forms.ChoiceField(label="Deliver to", widget=forms.RadioSelect)
    full_name = forms.CharField(
        max_length=150, required=False, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    phone = forms.CharField(
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    line1 = forms.CharField(
        label="Address line 1",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-line1"}),
    )
    line2 = forms.CharField(
        label="Address line 2",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-line2"}),
    )
    postal_code = forms.CharField(
        max_length=6,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric"}),
    )
    save_address = forms.BooleanField(label="Save this address to my account", required=False, initial=True)
    shipping_method = forms.ChoiceField(label="Delivery", widget=forms.RadioSelect)
    card_name = forms.CharField(label="Name on card", max_length=100)
    card_number = forms.CharField(
        label="Card number",
        max_length=23,
        widget=forms.TextInput(attrs={"autocomplete": "cc-number", "inputmode": "numeric"}),
    )
    card_expiry = forms.CharField(
        label="Expiry (MM/YY)",
        max_length=7,
        widget=forms.TextInput(attrs={"autocomplete": "cc-exp", "placeholder": "MM/YY"}),
    )
    card_cvc = forms.CharField(
        label="Security code",
        max_length=4,
        widget=forms.PasswordInput(attrs={"autocomplete": "cc-csc", "inputmode": "numeric"}),
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    expected_total = forms.DecimalField(
        widget=forms.HiddenInput, max_digits=12, decimal_places=2, required=False
    )

    def __init__(self, *args, addresses=(), guest: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.guest = guest
        if guest:
            # A guest gives the email their confirmation (and signed link) goes to; no saved addresses.
            self.fields["email"] = forms.EmailField(
                label="Email",
                max_length=254,
                help_text="Your confirmation and a link to follow your order go here.",
                widget=forms.EmailInput(attrs={"autocomplete": "email"}),
            )
            self.order_fields(["email", *[f for f in self.fields if f != "email"]])
            del self.fields["save_address"]
        self.addresses = {str(a.pk): a for a in addresses}
        choices = [(str(a.pk), " · ".join(a.as_lines()[:3])) for a in addresses] + [("new", "A new address")]
        self.fields["address"].choices = choices
        default = next((str(a.pk) for a in addresses if a.is_default_shipping), "new")
        self.fields["address"].initial = default
        self.fields["shipping_method"].choices = [
            (code, f"{label} ({eta})")
            for code, (label, _fee, _free, eta) in settings.SHIPPING_METHODS.items()
        ]
        self.fields["shipping_method"].initial = "standard"
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)
        if guest:
            self.fields["address"].initial = "new"

    def clean_card_number(self):
        number = re.sub(r"[\s-]", "", self.cleaned_data["card_number"])
        if not number.isdigit() or not 12 <= len(number) <= 19 or not luhn_valid(number):
            raise forms.ValidationError("Enter a valid card number.")
        return number

    def clean_card_expiry(self):
        match = EXPIRY.match(self.cleaned_data["card_expiry"])
        if not match:
            raise forms.ValidationError("Enter the expiry as MM/YY.")
        month, year = int(match.group(1)), int(match.group(2))
        year = year + 2000 if year < 100 else year
        if not 1 <= month <= 12:
            raise forms.ValidationError("The month must be between 01 and 12.")
        today = timezone.localdate()
        if (year, month) < (today.year, today.month):
            raise forms.ValidationError("This card has expired.")
        return month, year

    def clean_card_cvc(self):
        cvc = self.cleaned_data["card_cvc"].strip()
        if not cvc.isdigit() or len(cvc) not in (3, 4):
            raise forms.ValidationError("The security code is the 3 or 4 digits on the back of the card.")
        return cvc

    def clean(self):
        cleaned = super().clean()
        choice = cleaned.get("address")
        if choice == "new":
            for name, label in (
                ("full_name", "Full name"),
                ("phone", "Phone"),
                ("line1", "Address line 1"),
                ("postal_code", "Postal code"),
            ):
                if not (cleaned.get(name) or "").strip():
                    self.add_error(name, f"{label} is required for a new address.")
            postal = (cleaned.get("postal_code") or "").strip()
            if postal and not POSTAL_CODE.match(postal):
                self.add_error("postal_code", "A Singapore postal code has 6 digits, e.g. 018956.")
            phone = (cleaned.get("phone") or "").strip()
            if phone and not PHONE.match(phone):
                self.add_error("phone", "Enter a phone number of 8 to 15 digits, e.g. +65 9123 4567.")
        elif choice and choice not in self.addresses:
            self.add_error("address", "Choose one of your addresses.")
        return cleaned

    def shipping_address(self) -> ShippingAddress:
        data = self.cleaned_data
        if data["address"] != "new":
            a = self.addresses[data["address"]]
            return ShippingAddress(a.full_name, a.phone, a.line1, a.line2, a.postal_code, a.city)
        return ShippingAddress(
            data["full_name"].strip(),
            data["phone"].strip(),
            data["line1"].strip(),
            data["line2"].strip(),
            data["postal_code"].strip(),
        )

    def card(self) -> Card:
        month, year = self.cleaned_data["card_expiry"]
        return Card(
            number=self.cleaned_data["card_number"],
            exp_month=month,
            exp_year=year,
            cvc=self.cleaned_data["card_cvc"],
        )


class ReturnForm(StyledFormMixin, forms.Form):
    reason = forms.ChoiceField(choices=[("", "Choose…")] + list(ReturnRequest.Reason.choices))
    details = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000, label="Anything to add?"
    )


class GuestAccountForm(StyledFormMixin, forms.Form):
    """An account from a guest's order, in one step: the email is the order's; only a password."""

    password = forms.CharField(
        label="Choose a password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 10 characters.",
    )


class OrderLookupForm(StyledFormMixin, forms.Form):
    number = forms.CharField(
        label="Order number", max_length=32, widget=forms.TextInput(attrs={"placeholder": "AM261204-1A2B3C"})
    )
    email = forms.EmailField(label="Email used for the order", max_length=254)
