from decimal import Decimal

from django import forms
from django.conf import settings

from auroramart.core.forms import StyledFormMixin

from .models import Brand, Category, ProductReview, Subcategory
from .selectors import SEARCH_SORT_LABELS, SORT_LABELS, ProductFilters

MAX_OPTION_FILTERS = 20


class ProductFilterForm(forms.Form):
    """The catalog's filter, sort and page-size state, all read from the URL.

    An invalid value is reported next to its field and that filter alone is
    ignored, so a hand-edited URL never breaks the page.
    """

    category = forms.ModelChoiceField(
        queryset=Category.objects.filter(is_active=True), to_field_name="slug", required=False
    )
    subcategory = forms.CharField(required=False, max_length=120)
    brand = forms.ModelMultipleChoiceField(queryset=Brand.objects.all(), to_field_name="slug", required=False)
    min_price = forms.DecimalField(
        required=False, min_value=Decimal("0"), max_digits=12, decimal_places=2, label="Min price"
    )
    max_price = forms.DecimalField(
        required=False, min_value=Decimal("0"), max_digits=12, decimal_places=2, label="Max price"
    )
    min_rating = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "Any rating")] + [(str(n), f"{n}★ & up") for n in (4, 3, 2, 1)],
        label="Rating",
    )
    in_stock = forms.BooleanField(required=False, label="In stock only")
    sort = forms.ChoiceField(required=False, choices=list({**SEARCH_SORT_LABELS, **SORT_LABELS}.items()))
    per_page = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=settings.CATALOG_DEFAULT_PAGE_SIZE,
        choices=[(str(n), str(n)) for n in settings.CATALOG_PAGE_SIZES],
        label="Per page",
    )

    def __init__(self, *args, fixed_category=None, fixed_subcategory=None, default_sort="featured", **kwargs):
        super().__init__(*args, **kwargs)
        self.fixed_category = fixed_category
        self.fixed_subcategory = fixed_subcategory
        self.default_sort = default_sort

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("min_price"), cleaned.get("max_price")
        if low is not None and high is not None and low > high:
            self.add_error("max_price", "The maximum price must not be below the minimum.")
        category = self.fixed_category or cleaned.get("category")
        sub_slug = cleaned.get("subcategory")
        cleaned["subcategory_obj"] = self.fixed_subcategory
        if sub_slug and self.fixed_subcategory is None:
            if category is None:
                self.add_error("subcategory", "Choose a category first.")
            else:
                sub = Subcategory.objects.filter(category=category, slug=sub_slug).first()
                if sub is None:
                    self.add_error("subcategory", "No such subcategory in this category.")
                cleaned["subcategory_obj"] = sub
        return cleaned

    def clean_options(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """ "?option=size:M&option=colour:Navy" as ((name, values), ...); a malformed one is
        reported and left out."""
        grouped: dict[str, list[str]] = {}
        raw = self.data.getlist("option") if hasattr(self.data, "getlist") else []
        for item in raw[:MAX_OPTION_FILTERS]:
            name, sep, value = item.partition(":")
            name, value = name.strip().lower(), value.strip()
            if not sep or not name or not value or len(item) > 100:
                self.errors.setdefault("option", self.error_class()).append(
                    "Choose option values from the list."
                )
                continue
            grouped.setdefault(name, [])
            if value not in grouped[name]:
                grouped[name].append(value)
        return tuple((name, tuple(values)) for name, values in sorted(grouped.items()))

    def to_filters(self) -> ProductFilters:
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return ProductFilters(
            category=self.fixed_category or data.get("category"),
            subcategory=data.get("subcategory_obj"),
            brands=tuple(data.get("brand") or ()),
            min_price=data.get("min_price"),
            max_price=data.get("max_price"),
            min_rating=data.get("min_rating"),
            in_stock=bool(data.get("in_stock")),
            options=self.clean_options(),
            sort=data.get("sort") or self.default_sort,
        )

    @property
    def page_size(self) -> int:
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return data.get("per_page") or settings.CATALOG_DEFAULT_PAGE_SIZE


class ReviewForm(StyledFormMixin, forms.ModelForm):
    rating = forms.TypedChoiceField(
        coerce=int,
        choices=[("", "Choose…")] + [(str(n), f"{n} star{'s' if n > 1 else ''}") for n in (5, 4, 3, 2, 1)],
        error_messages={"invalid_choice": "Choose a rating from 1 to 5 stars."},
    )

    class Meta:
        model = ProductReview
        fields = ["rating", "title", "body"]
        labels = {"body": "Your review"}
        widgets = {"body": forms.Textarea(attrs={"rows": 6})}
