from django import forms

from auroramart.accounts.models import CustomerProfile
from auroramart.analytics.models import CustomerAnalytics
from auroramart.catalog.models import Category
from auroramart.core.forms import StyledFormMixin
from auroramart.loyalty.models import LoyaltyTier

from .models import Campaign


def _choices(values, empty="Any"):
    return [("", empty)] + [(v, v) for v in values]


class AudienceForm(StyledFormMixin, forms.Form):
    """The audience filters; every field is optional and they combine with AND."""

    predicted_category = forms.ChoiceField(required=False, label="Predicted category (top)")
    preferred_category = forms.ChoiceField(required=False, label="Declared preferred category")
    tiers = forms.MultipleChoiceField(
        required=False, label="Loyalty tiers", widget=forms.CheckboxSelectMultiple
    )
    segments = forms.MultipleChoiceField(
        required=False,
        choices=CustomerAnalytics.Segment.choices,
        label="RFM segments",
        widget=forms.CheckboxSelectMultiple,
    )
    gender = forms.ChoiceField(required=False, choices=_choices(CustomerProfile.Gender.values))
    employment_status = forms.ChoiceField(
        required=False, choices=_choices(CustomerProfile.Employment.values), label="Employment"
    )
    occupation = forms.ChoiceField(required=False, choices=_choices(CustomerProfile.Occupation.values))
    education = forms.ChoiceField(required=False, choices=_choices(CustomerProfile.Education.values))
    age_min = forms.IntegerField(required=False, min_value=18, max_value=100, label="Age from")
    age_max = forms.IntegerField(required=False, min_value=18, max_value=100, label="Age to")
    last_purchase_after = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Last purchase on or after"
    )
    last_purchase_before = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        label="Last purchase before (or never)",
    )
    opted_in_only = forms.BooleanField(required=False, label="Only customers who accept marketing")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        names = list(
            Category.objects.filter(is_active=True)
            .order_by("position", "name")
            .values_list("name", flat=True)
        )
        self.fields["predicted_category"].choices = _choices(names)
        self.fields["preferred_category"].choices = _choices(names)
        self.fields["tiers"].choices = [
            (t, t) for t in LoyaltyTier.objects.order_by("threshold").values_list("name", flat=True)
        ]

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("age_min"), cleaned.get("age_max")
        if low and high and low > high:
            self.add_error("age_max", "The oldest age must not be below the youngest.")
        return cleaned

    def filters(self) -> dict:
        return {
            k: (v.isoformat() if hasattr(v, "isoformat") else v)
            for k, v in self.cleaned_data.items()
            if v not in (None, "", [], False)
        }


class CampaignForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Campaign
        fields = [
            "name",
            "goal",
            "headline",
            "message",
            "link",
            "offer",
            "discount_percent",
            "points_multiplier",
            "points_category",
            "channel_banner",
            "channel_notification",
            "channel_email",
            "holdout_percent",
            "starts_at",
            "ends_at",
        ]
        widgets = {
            "starts_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "ends_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "message": forms.Textarea(attrs={"rows": 3}),
        }

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("starts_at"), cleaned.get("ends_at")
        if start and end and end <= start:
            self.add_error("ends_at", "The campaign must end after it starts.")
        if cleaned.get("offer") == Campaign.Offer.POINTS:
            if not cleaned.get("points_category"):
                self.add_error("points_category", "Choose the category the bonus points are for.")
            if (cleaned.get("points_multiplier") or 0) <= 1:
                self.add_error("points_multiplier", "A bonus multiplier must be above 1.")
        if cleaned.get("offer") == Campaign.Offer.COUPON and not (
            0 < (cleaned.get("discount_percent") or 0) <= 90
        ):
            self.add_error("discount_percent", "Choose a discount from 1 to 90 percent.")
        if not (
            cleaned.get("channel_banner")
            or cleaned.get("channel_notification")
            or cleaned.get("channel_email")
        ):
            self.add_error("channel_banner", "Choose at least one channel.")
        link = cleaned.get("link") or ""
        if link and not link.startswith("/"):
            self.add_error("link", "Use a path in the shop, starting with /.")
        return cleaned
