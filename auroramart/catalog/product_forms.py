"""Staff product forms (the admin panel and the API). The API's staff endpoints validate with the same
forms, so a price rule holds whichever way a price is changed."""

from decimal import Decimal

from django import forms

from auroramart.catalog.models import Brand, Category, Product, Subcategory
from auroramart.catalog.services import EDIT_FIELDS, PRICE_FIELDS
from auroramart.core.forms import StyledFormMixin


class ProductForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Product
        fields = EDIT_FIELDS
        labels = {"size_guide_url": "Size guide link"}
        help_texts = {"size_guide_url": "A page of this shop (/shipping-returns/) or an https:// address."}

    def clean_size_guide_url(self):
        url = self.cleaned_data.get("size_guide_url", "").strip()
        if url and not (url.startswith("/") and not url.startswith("//") or url.startswith("https://")):
            raise forms.ValidationError("Enter a page of this shop (starting with /) or an https:// address.")
        return url


class PriceForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Product
        fields = PRICE_FIELDS

    def clean(self):
        cleaned = super().clean()
        price, compare = cleaned.get("price"), cleaned.get("compare_at_price")
        if price is not None and price <= 0:
            self.add_error("price", "The price must be above zero.")
        if price and compare and compare <= price:
            self.add_error("compare_at_price", "The compare-at price must be above the price, or empty.")
        return cleaned


class StockForm(StyledFormMixin, forms.Form):
    quantity = forms.IntegerField(help_text="Positive to add, negative to remove.")
    reason = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=[("adjustment", "Adjustment"), ("receipt", "Receipt of goods")])


class NewProductForm(StyledFormMixin, forms.Form):
    sku = forms.CharField(label="SKU", max_length=40)
    name = forms.CharField(max_length=200)
    subcategory = forms.ModelChoiceField(
        queryset=Subcategory.objects.select_related("category").order_by("category__name", "name")
    )
    brand = forms.ModelChoiceField(queryset=Brand.objects.all(), required=False)
    price = forms.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    stock = forms.IntegerField(min_value=0, initial=0, label="Opening stock")
    reorder_level = forms.IntegerField(min_value=0, initial=10)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def clean_sku(self):
        sku = self.cleaned_data["sku"].strip().upper()
        if Product.objects.filter(sku__iexact=sku).exists():
            raise forms.ValidationError("Another product has this SKU.")
        return sku


class TaxonomyForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(
        choices=[("category", "Category"), ("subcategory", "Subcategory"), ("brand", "Brand")]
    )
    name = forms.CharField(max_length=100)
    category = forms.ModelChoiceField(
        queryset=Category.objects.all(), required=False, help_text="For a subcategory"
    )

    def clean(self):
        cleaned = super().clean()
        kind, name = cleaned.get("kind"), cleaned.get("name", "").strip()
        if kind == "subcategory" and not cleaned.get("category"):
            self.add_error("category", "Choose the category the subcategory belongs to.")
        model = {"category": Category, "brand": Brand}.get(kind)
        if model and model.objects.filter(name__iexact=name).exists():
            self.add_error("name", f"A {kind} with this name exists.")
        if (
            kind == "subcategory"
            and cleaned.get("category")
            and Subcategory.objects.filter(category=cleaned["category"], name__iexact=name).exists()
        ):
            self.add_error("name", "This category already has a subcategory with this name.")
        return cleaned
