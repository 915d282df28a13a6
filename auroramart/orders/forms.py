import uuid

from django import forms
from django_countries import countries

from auroramart.accounts.addresses import ADDRESS_FIELDS, clean_phone, clean_postal_code
from auroramart.core.forms import CountryChoiceField, QuickSelect, StyledFormMixin
from auroramart.shipping.selectors import Destination

from .models import ReturnRequest
from .services import ShippingAddress


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
        max_length=12,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code"}),
    )
    city = forms.CharField(
        max_length=80,
        required=False,
        initial="Singapore",
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    region = forms.CharField(
        label="State or region",
        max_length=80,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-level1"}),
    )
    country = CountryChoiceField(
        choices=countries,
        initial="SG",
        required=False,
        widget=QuickSelect(attrs={"autocomplete": "country"}),
    )
    save_address = forms.BooleanField(label="Save this address to my account", required=False, initial=True)
    # The options depend on the address: the page lists those that serve it (the order summary),
    # and placement refuses one that does not.
    shipping_method = forms.CharField(label="Delivery", max_length=30)
    # The card itself never reaches the shop: the browser hands it to the provider and posts
    # the payment method id it gets back (static/js/payment-*.js), or a saved card is chosen.
    card = forms.ChoiceField(label="Pay with", widget=forms.RadioSelect, required=False)
    payment_method = forms.CharField(widget=forms.HiddenInput, max_length=100, required=False)
    save_card = forms.BooleanField(label="Save this card for next time", required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    expected_total = forms.DecimalField(
        widget=forms.HiddenInput, max_digits=12, decimal_places=2, required=False
    )

    # The new address's fields and a guest's email: the same for every unbound checkout form
    # ({% form_field %} holds them).
    held_fields = ("email", *ADDRESS_FIELDS)

    def __init__(self, *args, addresses=(), guest: bool = False, cards=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.guest = guest
        self.cards = {str(c.pk): c for c in cards}
        self.fields["card"].choices = self.card_choices(cards)
        self.fields["card"].initial = self.first_card(cards)
        if guest:
            # A guest gives the email their confirmation (and signed link) goes to; no saved addresses.
            self.fields["email"] = forms.EmailField(
                label="Email",
                max_length=254,
                help_text="Your confirmation and a link to follow your order go here.",
                widget=forms.EmailInput(attrs={"autocomplete": "email"}),
            )
            self.fields["marketing_opt_in"] = forms.BooleanField(
                label="Email me offers, and a reminder if I leave my cart", required=False
            )
            self.order_fields(
                [
                    "email",
                    "marketing_opt_in",
                    *[f for f in self.fields if f not in ("email", "marketing_opt_in")],
                ]
            )
            del self.fields["save_address"]
            del self.fields["save_card"]
        self.addresses = {str(a.pk): a for a in addresses}
        self.fields["address"].choices = self.address_choices(addresses)
        self.fields["address"].initial = self.first_address(addresses, guest)
        self.fields["shipping_method"].initial = "standard"

    # What an unbound form offers and starts with, from the shopper's addresses and cards alone:
    # the checkout page holds its steps by these, and makes a form only to render one (#23).

    @staticmethod
    def address_choices(addresses) -> list[tuple[str, str]]:
        return [(str(a.pk), " · ".join(a.as_lines()[:3])) for a in addresses] + [("new", "A new address")]

    @staticmethod
    def first_address(addresses, guest: bool) -> str:
        if guest:
            return "new"
        return next((str(a.pk) for a in addresses if a.is_default_shipping), "new")

    @staticmethod
    def card_choices(cards) -> list[tuple[str, str]]:
        return [(str(c.pk), f"{c.brand} ending {c.last4}, expires {c.expiry}") for c in cards] + [
            ("new", "A new card")
        ]

    @staticmethod
    def first_card(cards) -> str:
        return next((str(c.pk) for c in cards if not c.expired), "new")

    @staticmethod
    def page_key(form: "CheckoutForm | None") -> str:
        """The idempotency key a checkout page carries: the one its form came back with, else a
        new one for each page opened (one page submitted twice is one order; two pages, two)."""
        sent = form["idempotency_key"].value() if form is not None else None
        return sent or uuid.uuid4().hex

    @classmethod
    def first_destination(cls, addresses, guest: bool) -> Destination | None:
        """Where the order goes as an unbound form starts: what `destination()` says of it."""
        first = cls.first_address(addresses, guest)
        chosen = next((a for a in addresses if str(a.pk) == first), None)
        return ShippingAddress.of(chosen).destination if chosen is not None else None

    def clean(self):
        cleaned = super().clean()
        choice = cleaned.get("address")
        if choice == "new":
            for name, label in (
                ("full_name", "Full name"),
                ("phone", "Phone"),
                ("line1", "Address line 1"),
            ):
                if not (cleaned.get(name) or "").strip():
                    self.add_error(name, f"{label} is required for a new address.")
            country = cleaned.get("country") or "SG"
            cleaned["country"] = country
            try:
                cleaned["postal_code"] = clean_postal_code(country, cleaned.get("postal_code") or "")
            except forms.ValidationError as exc:
                self.add_error("postal_code", exc)
            phone = (cleaned.get("phone") or "").strip()
            if phone:
                try:
                    clean_phone(phone)
                except forms.ValidationError as exc:
                    self.add_error("phone", exc)
            if country != "SG" and not (cleaned.get("city") or "").strip():
                self.add_error("city", "Enter the town or city.")
        elif choice and choice not in self.addresses:
            self.add_error("address", "Choose one of your addresses.")
        card = cleaned.get("card") or "new"
        if card == "new":
            if not cleaned.get("payment_method"):
                self.add_error("card", "Enter your card details.")
        elif card not in self.cards:
            self.add_error("card", "Choose one of your saved cards, or enter a card.")
        elif self.cards[card].expired:
            self.add_error("card", f"Your {self.cards[card]} has expired. Choose another card.")
        else:
            cleaned["payment_method"] = self.cards[card].payment_method
            cleaned["save_card"] = False
        return cleaned

    def shipping_address(self) -> ShippingAddress:
        data = self.cleaned_data
        if data["address"] != "new":
            return ShippingAddress.of(self.addresses[data["address"]])
        country = data.get("country") or "SG"
        return ShippingAddress(
            data["full_name"].strip(),
            data["phone"].strip(),
            data["line1"].strip(),
            data["line2"].strip(),
            data["postal_code"],
            (data.get("city") or "").strip() or ("Singapore" if country == "SG" else ""),
            country,
            (data.get("region") or "").strip(),
        )

    def guest_contact(self) -> str:
        """The email of a guest who agreed to marketing, as far as the form says yet ("" if not)."""
        if not self.guest or self.data.get("marketing_opt_in") not in ("on", "true", "1"):
            return ""
        email = forms.EmailField(max_length=254)
        try:
            return email.clean(self.data.get("email", "")).lower()
        except forms.ValidationError:
            return ""

    def destination(self) -> Destination | None:
        """Where the order would go as far as the form says yet (for the summary while the
        customer types): a saved address, or the new one's country, region and postal code."""
        choice = self.data.get("address") or self.fields["address"].initial
        if choice in self.addresses:
            return ShippingAddress.of(self.addresses[choice]).destination
        if choice == "new" and (self.data.get("country") or self.data.get("postal_code")):
            return Destination(
                (self.data.get("country") or "SG")[:2],
                self.data.get("region", "")[:80],
                self.data.get("postal_code", "")[:12],
            )
        return None


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
