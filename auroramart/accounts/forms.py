from decimal import Decimal

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordForm,
)
from django.core.validators import MaxValueValidator, MinValueValidator

from auroramart.catalog.models import Category
from auroramart.core.forms import StyledFormMixin

from .addresses import ADDRESS_FIELDS, clean_phone, clean_postal_code
from .models import DEMOGRAPHIC_FIELDS, Address, CustomerProfile, User
from .services import Demographics, clean_avatar


class DemographicsMixin(forms.Form):
    """The eight fields of the AuroraMart customer data, each with its own clear message."""

    age = forms.IntegerField(
        validators=[
            MinValueValidator(18, "You must be at least 18 to have an account."),
            MaxValueValidator(100, "Enter an age of 100 or below."),
        ],
        error_messages={"invalid": "Enter your age as a whole number."},
    )
    gender = forms.ChoiceField(choices=[("", "Choose…")] + list(CustomerProfile.Gender.choices))
    employment_status = forms.ChoiceField(
        label="Employment status", choices=[("", "Choose…")] + list(CustomerProfile.Employment.choices)
    )
    occupation = forms.ChoiceField(choices=[("", "Choose…")] + list(CustomerProfile.Occupation.choices))
    education = forms.ChoiceField(choices=[("", "Choose…")] + list(CustomerProfile.Education.choices))
    household_size = forms.IntegerField(
        label="Household size",
        validators=[
            MinValueValidator(1, "A household has at least 1 person."),
            MaxValueValidator(10, "Enter a household size of 10 or fewer."),
        ],
        error_messages={"invalid": "Enter the number of people as a whole number."},
    )
    has_children = forms.TypedChoiceField(
        label="Children in the household",
        choices=[("", "Choose…"), ("1", "Yes"), ("0", "No")],
        coerce=lambda v: v == "1",
        empty_value=None,
    )
    monthly_income_sgd = forms.DecimalField(
        label="Monthly income (SGD)",
        max_digits=12,
        decimal_places=2,
        validators=[
            MinValueValidator(Decimal("0"), "Income cannot be negative."),
            MaxValueValidator(Decimal("1000000"), "Enter a monthly income of S$1,000,000 or less."),
        ],
        error_messages={"invalid": "Enter an amount in dollars, e.g. 4500."},
    )

    DEMOGRAPHIC_FIELDS = DEMOGRAPHIC_FIELDS

    def demographics(self) -> Demographics:
        return Demographics(**{name: self.cleaned_data[name] for name in self.DEMOGRAPHIC_FIELDS})


class RegistrationForm(StyledFormMixin, DemographicsMixin):
    email = forms.EmailField(max_length=254)
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 12 characters; not a common password, not only numbers.",
    )
    password2 = forms.CharField(
        label="Repeat the password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    marketing_opt_in = forms.BooleanField(label="Email me offers and news", required=False)

    field_order = ["email", "first_name", "last_name", "password1", "password2"]

    def clean_email(self):
        email = self.cleaned_data["email"].lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                "An account with this email address already exists.", code="email_taken"
            )
        return email

    def clean(self):
        cleaned = super().clean()
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The two passwords do not match.")
        elif p1:
            candidate = User(
                email=cleaned.get("email", ""),
                first_name=cleaned.get("first_name", ""),
                last_name=cleaned.get("last_name", ""),
            )
            try:
                password_validation.validate_password(p1, candidate)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


class CustomerLoginForm(StyledFormMixin, AuthenticationForm):
    """Sign-in for customers; a staff account is sent to the admin panel's own sign-in."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "The email address or password is not right. Both are case-sensitive for the password.",
        "staff_account": "This is a staff account. Staff sign in at the admin panel.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Email address"

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if user.is_staff:
            raise forms.ValidationError(self.error_messages["staff_account"], code="staff_account")


class ProfileForm(StyledFormMixin, DemographicsMixin):
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    marketing_opt_in = forms.BooleanField(label="Email me offers and news", required=False)
    preferred_categories = forms.ModelMultipleChoiceField(
        queryset=Category.objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="We show more of these on your home page.",
    )

    field_order = ["first_name", "last_name"]

    @classmethod
    def initial_for(cls, user) -> dict:
        profile = getattr(user, "profile", None)
        if profile is None:  # an account made from a guest order: only the names so far
            return {"first_name": user.first_name, "last_name": user.last_name}
        initial = {name: getattr(profile, name) for name in cls.DEMOGRAPHIC_FIELDS}
        initial["has_children"] = "1" if profile.has_children else "0"
        initial.update(
            first_name=user.first_name,
            last_name=user.last_name,
            marketing_opt_in=profile.marketing_opt_in,
            preferred_categories=list(profile.preferred_categories.all()),
        )
        return initial


class AvatarForm(StyledFormMixin, forms.Form):
    avatar = forms.FileField(
        label="Profile picture",
        help_text="JPEG, PNG or WebP, up to 5 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )

    def clean_avatar(self):
        upload = self.cleaned_data["avatar"]
        clean_avatar(upload)  # raises ValidationError with the reason
        upload.seek(0)
        return upload


class AddressForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Address
        fields = ["label", *ADDRESS_FIELDS, "is_default_shipping", "is_default_billing"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].required = False  # Singapore unless another is chosen

    def clean_phone(self):
        return clean_phone(self.cleaned_data["phone"])

    def clean(self):
        cleaned = super().clean()
        cleaned["country"] = cleaned.get("country") or "SG"
        if "postal_code" in cleaned:
            try:
                cleaned["postal_code"] = clean_postal_code(cleaned["country"], cleaned["postal_code"])
            except forms.ValidationError as exc:
                self.add_error("postal_code", exc)
        return cleaned


class DeleteAccountForm(StyledFormMixin, forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(label="I understand that this cannot be undone")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.")
        return password


class StyledPasswordChangeForm(StyledFormMixin, PasswordChangeForm):
    pass


class StyledPasswordResetForm(StyledFormMixin, PasswordResetForm):
    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        """Through the outbox like every other message (branded HTML, sent once, retried)."""
        from django.template import loader

        from auroramart.core.outbox import queue_email

        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        queue_email(to=to_email, subject=subject, body=loader.render_to_string(email_template_name, context))


class StyledSetPasswordForm(StyledFormMixin, SetPasswordForm):
    pass
