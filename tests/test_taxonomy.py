"""Staff rename and delete categories, subcategories and brands: web addresses stay, empty
ones only can go, and customers' predicted categories follow a category's new name."""

import pytest

from auroramart.catalog import services as catalog
from auroramart.catalog.models import Brand, Category, Subcategory
from auroramart.core.client import Actor
from auroramart.staff.models import AuditLog

from .factories import CategoryFactory, CustomerFactory, ProductFactory, StaffFactory, SubcategoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def actor():
    return Actor(user=StaffFactory(), ip="203.0.113.9")


def test_renaming_a_category_keeps_its_address_and_relabels_predictions(client, actor):
    sub = SubcategoryFactory(category=CategoryFactory(name="Gadgets", slug="gadgets"))
    ProductFactory(subcategory=sub, name="Pocket Torch")
    customer = CustomerFactory()
    customer.profile.predicted_categories = [
        {"category": "Gadgets", "probability": 0.6},
        {"category": "Books", "probability": 0.4},
    ]
    customer.profile.save()
    catalog.rename_taxonomy(obj=sub.category, name="Electronics", actor=actor)
    category = Category.objects.get(pk=sub.category_id)
    assert category.name == "Electronics" and category.slug == "gadgets"
    assert "Electronics" in client.get("/category/gadgets/").content.decode()
    customer.profile.refresh_from_db()
    assert [p["category"] for p in customer.profile.predicted_categories] == ["Electronics", "Books"]
    entry = AuditLog.objects.get(action="rename")
    assert entry.changes == {"name": ["Gadgets", "Electronics"]} and entry.ip == "203.0.113.9"


def test_a_name_in_use_is_refused(actor):
    CategoryFactory(name="Books", slug="books")
    other = CategoryFactory(name="Toys", slug="toys")
    with pytest.raises(catalog.TaxonomyError, match="Books"):
        catalog.rename_taxonomy(obj=other, name="books", actor=actor)


def test_only_what_nothing_uses_can_be_deleted(actor):
    sub = SubcategoryFactory(name="Lamps")
    product = ProductFactory(subcategory=sub)
    with pytest.raises(catalog.TaxonomyError, match="products"):
        catalog.delete_taxonomy(obj=sub, actor=actor)
    elsewhere = SubcategoryFactory(name="Desks")
    type(product).objects.filter(pk=product.pk).update(subcategory=elsewhere, category=elsewhere.category)
    with pytest.raises(catalog.TaxonomyError, match="subcategories"):
        catalog.delete_taxonomy(obj=sub.category, actor=actor)
    catalog.delete_taxonomy(obj=sub, actor=actor)
    customer = CustomerFactory()
    customer.profile.predicted_categories = [{"category": sub.category.name, "probability": 1.0}]
    customer.profile.save()
    catalog.delete_taxonomy(obj=sub.category, actor=actor)
    assert not Subcategory.objects.filter(pk=sub.pk).exists()
    assert not Category.objects.filter(pk=sub.category_id).exists()
    customer.profile.refresh_from_db()
    assert customer.profile.predicted_categories == []  # a deleted category is never predicted
    assert AuditLog.objects.filter(action="delete").count() == 2


def test_brands_rename_and_delete_from_the_panel(client):
    from auroramart.staff.services import create_staff, setup_roles

    from .two_factor import sign_in_staff

    setup_roles()
    staff = create_staff(email="cat@staff.test", password="staff-password-123", role="Admin")
    sign_in_staff(client, staff.email, "staff-password-123")
    brand = Brand.objects.create(name="Acme", slug="acme")
    response = client.post(
        f"/admin-panel/products/taxonomy/brand/{brand.pk}/", {"action": "rename", "name": "Acme Co"}
    )
    assert response.status_code == 302
    assert Brand.objects.get(pk=brand.pk).name == "Acme Co"
    assert "Acme Co" in client.get("/admin-panel/products/taxonomy/").content.decode()
    client.post(f"/admin-panel/products/taxonomy/brand/{brand.pk}/", {"action": "delete"})
    assert not Brand.objects.filter(pk=brand.pk).exists()
    assert client.post("/admin-panel/products/taxonomy/colour/1/", {"action": "delete"}).status_code == 404
