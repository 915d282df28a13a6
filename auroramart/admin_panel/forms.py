"""The panel's own forms (the product forms live with the catalogue, as the API uses them too)."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from auroramart.core.forms import StyledFormMixin
from auroramart.loyalty.models import LoyaltyReward
from auroramart.loyalty.services import REWARD_FIELDS
from auroramart.promotions.models import Coupon
from auroramart.promotions.services import COUPON_FIELDS
from auroramart.staff.permissions import ROLES

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"})


class RewardForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = LoyaltyReward
        fields = REWARD_FIELDS
        widgets = {"starts_at": DATETIME, "ends_at": DATETIME}


class CouponForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Coupon
        fields = COUPON_FIELDS
        widgets = {"starts_at": DATETIME, "ends_at": DATETIME}

    def clean_code(self):
        code = self.cleaned_data["code"].strip().upper()
        if Coupon.objects.filter(code__iexact=code).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("Another coupon has this code.")
        return code

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == "percent" and cleaned.get("value") and cleaned["value"] > 100:
            self.add_error("value", "A percentage cannot be above 100.")
        if cleaned.get("starts_at") and cleaned.get("ends_at") and cleaned["ends_at"] <= cleaned["starts_at"]:
            self.add_error("ends_at", "The end must be after the start.")
        return cleaned


class StaffForm(StyledFormMixin, forms.Form):
    email = forms.EmailField()
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    role = forms.ChoiceField(choices=[(r, r) for r in ROLES])
    password = forms.CharField(
        widget=forms.PasswordInput, required=False, help_text="Leave empty to send a reset link."
    )


class AdjustPointsForm(forms.Form):
    points = forms.IntegerField(error_messages={"invalid": "Enter a whole number of points."})
    reason = forms.CharField(max_length=200)

    def clean_points(self):
        points = self.cleaned_data["points"]
        if points == 0:
            raise forms.ValidationError("Enter a number other than 0.")
        return points


class StaffLoginForm(StyledFormMixin, AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "The email address or password is not right.",
        "not_staff": "This is not a staff account. Customers sign in at the shop.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Staff email"

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not user.is_staff:
            raise forms.ValidationError(self.error_messages["not_staff"], code="not_staff")
