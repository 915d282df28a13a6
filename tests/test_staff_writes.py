"""Every staff write goes through a domain service that writes its audit row in the same
transaction: when the audit insert fails, the change is rolled back (parametrised over the
panel's and the API's staff writes), and no view module writes the ORM itself."""

import ast
from pathlib import Path

import pytest
from django.db import DatabaseError

from auroramart.catalog.models import Brand, Category, Product, ProductReview, ProductSpecification
from auroramart.loyalty.models import LoyaltyTier
from auroramart.loyalty.services import account_for
from auroramart.orders.models import Order, OrderNote
from auroramart.promotions.models import Coupon
from auroramart.staff.models import AuditLog, CustomerNote
from auroramart.staff.services import create_staff

from .test_admin_panel import PASSWORD, roles, world  # noqa: F401 -- fixtures
from .test_api import call, token_for
from .two_factor import sign_in_staff

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[1] / "auroramart"
P = "/admin-panel"


def _product(w):
    return Product.objects.get(pk=w["product"].pk)


# (name, request made as a Superadmin, the state the request changes)
CASES = {
    "edit a product": (
        lambda c, w: c.post(
            f"{P}/products/{w['product'].pk}/",
            {
                "form": "details",
                "name": "Kettle Pro",
                "reorder_level": 5,
                "reorder_quantity": 20,
                "is_active": "on",
            },
        ),
        lambda w: _product(w).name,
    ),
    "define options and generate variants": (
        lambda c, w: c.post(
            f"{P}/products/{w['product'].pk}/options/", {"options": "Size: S, M", "generate": "1"}
        ),
        lambda w: sorted(_product(w).variants.values_list("name", flat=True)),
    ),
    "edit the variant grid": (
        lambda c, w: c.post(
            f"{P}/products/{w['product'].pk}/variants/",
            {
                "action": "grid",
                "reason": "Count",
                **{
                    f"v-{v.pk}-{f}": value
                    for v in _product(w).variants.all()
                    for f, value in (("sku", v.sku), ("price", "12.34"), ("stock_quantity", 3))
                },
            },
        ),
        lambda w: list(_product(w).variants.values_list("price", "stock_quantity")),
    ),
    "change a price": (
        lambda c, w: c.post(f"{P}/products/{w['product'].pk}/", {"form": "price", "price": "44.00"}),
        lambda w: _product(w).price,
    ),
    "change a category's prices": (
        lambda c, w: c.post(
            f"{P}/products/bulk-price/", {"category": w["product"].category.slug, "percent": "10"}
        ),
        lambda w: _product(w).price,
    ),
    "adjust stock": (
        lambda c, w: c.post(
            f"{P}/products/{w['product'].pk}/stock/", {"quantity": 5, "reason": "Delivery", "kind": "receipt"}
        ),
        lambda w: (_product(w).stock_quantity, w["product"].stock_movements.count()),
    ),
    "set a specification": (
        lambda c, w: c.post(
            f"{P}/products/{w['product'].pk}/specifications/", {"name": "Colour", "value": "Red"}
        ),
        lambda w: ProductSpecification.objects.count(),
    ),
    "add a brand": (
        lambda c, w: c.post(f"{P}/products/taxonomy/", {"kind": "brand", "name": "Acme"}),
        lambda w: Brand.objects.filter(name="Acme").count(),
    ),
    "rename a category": (
        lambda c, w: c.post(
            f"{P}/products/taxonomy/category/{w['product'].category_id}/",
            {"action": "rename", "name": "Kitchen"},
        ),
        lambda w: Category.objects.get(pk=w["product"].category_id).name,
    ),
    "create a coupon": (
        lambda c, w: c.post(
            f"{P}/promotions/coupons/",
            {
                "code": "new10",
                "description": "Ten off",
                "kind": "fixed",
                "value": "10",
                "min_spend": "0",
                "is_active": "on",
            },
        ),
        lambda w: Coupon.objects.filter(code="NEW10").count(),
    ),
    "switch a coupon off": (
        lambda c, w: c.post(f"{P}/promotions/coupons/{w['coupon'].pk}/toggle/"),
        lambda w: Coupon.objects.get(pk=w["coupon"].pk).is_active,
    ),
    "change a tier": (
        lambda c, w: c.post(
            f"{P}/loyalty/tiers/{w['tier'].pk}/", {"threshold": "7", "multiplier": "1.5", "perks": "Tea"}
        ),
        lambda w: LoyaltyTier.objects.get(pk=w["tier"].pk).threshold,
    ),
    "deactivate a customer": (
        lambda c, w: c.post(f"{P}/customers/{w['customer'].pk}/active/", {"active": "0"}),
        lambda w: type(w["customer"]).objects.get(pk=w["customer"].pk).is_active,
    ),
    "note on a customer": (
        lambda c, w: c.post(f"{P}/customers/{w['customer'].pk}/note/", {"text": "Called about a parcel"}),
        lambda w: CustomerNote.objects.count(),
    ),
    "adjust points": (
        lambda c, w: c.post(
            f"{P}/customers/{w['customer'].pk}/points/", {"points": "50", "reason": "Goodwill"}
        ),
        lambda w: account_for(w["customer"]).balance,
    ),
    "move an order on": (
        lambda c, w: c.post(f"{P}/orders/{w['order'].number}/status/", {"status": "processing"}),
        lambda w: Order.objects.get(pk=w["order"].pk).status,
    ),
    "note on an order": (
        lambda c, w: c.post(f"{P}/orders/{w['order'].number}/note/", {"text": "Gift wrap"}),
        lambda w: OrderNote.objects.count(),
    ),
    "moderate a review": (
        lambda c, w: c.post(f"{P}/reviews/{w['review'].pk}/", {"status": "approved"}),
        lambda w: ProductReview.objects.get(pk=w["review"].pk).status,
    ),
    "add a staff member": (
        lambda c, w: c.post(
            f"{P}/staff/", {"email": "new@staff.test", "role": "Analyst", "password": "x" * 14}
        ),
        lambda w: type(w["customer"]).objects.filter(email="new@staff.test").count(),
    ),
    "change a price through the API": (
        lambda c, w: call(
            c,
            "patch",
            f"/staff/products/{w['product'].pk}/price",
            token=token_for(c, w["boss"].email, PASSWORD),
            body={"price": "41.00"},
        ),
        lambda w: _product(w).price,
    ),
}


@pytest.fixture
def boss(client, world):
    boss = create_staff(email="boss@staff.test", password=PASSWORD, role="Superadmin")
    world["boss"] = boss
    assert sign_in_staff(client, boss.email, PASSWORD).status_code == 302
    return boss


@pytest.mark.parametrize("name", list(CASES))
def test_a_staff_write_is_audited_in_its_own_transaction(client, world, boss, name):
    act, state = CASES[name]
    before, audits = state(world), AuditLog.objects.count()
    response = act(client, world)
    assert response.status_code < 400, response.content[:300]
    assert state(world) != before, f"{name}: the request changed nothing, so the test shows nothing"
    assert AuditLog.objects.count() > audits, f"{name} was not audited"


@pytest.mark.parametrize("name", list(CASES))
def test_when_the_audit_cannot_be_written_the_staff_write_is_rolled_back(
    client, world, boss, name, monkeypatch
):
    act, state = CASES[name]
    before = state(world)
    token = token_for(client, boss.email, PASSWORD) if "API" in name else None  # signed in before the failure

    def refuse(*args, **kwargs):
        raise DatabaseError("the audit table is full")

    monkeypatch.setattr(AuditLog.objects, "create", refuse)
    client.raise_request_exception = False
    if token:
        response = call(
            client,
            "patch",
            f"/staff/products/{world['product'].pk}/price",
            token=token,
            body={"price": "41.00"},
        )
    else:
        response = act(client, world)
    assert response.status_code >= 500
    assert state(world) == before, f"{name} was written without its audit"


VIEW_MODULES = sorted(
    [*ROOT.glob("*/views.py"), *ROOT.glob("*/views/*.py"), *(ROOT / "api").glob("*.py")],
)
# The API's own records of its transport (tokens, idempotency keys) live in api/models.py,
# api/idempotency.py, api/tokens.py and api/auth.py, which are not endpoints.
NOT_ENDPOINTS = {
    "models.py",
    "idempotency.py",
    "tokens.py",
    "auth.py",
    "middleware.py",
    "apps.py",
    "tasks.py",
}
WRITES = {"save", "delete", "create", "bulk_create", "bulk_update", "get_or_create", "update_or_create"}


def _orm_writes(path: Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        method, receiver = node.func.attr, ast.unparse(node.func.value)
        if receiver == "router":
            continue  # @router.delete(...) declares an endpoint
        if method == "save" and any(k.arg == "commit" for k in node.keywords):
            continue  # form.save(commit=False) builds an unsaved object for a service
        if method in WRITES or (method == "update" and (".objects" in receiver or "filter(" in receiver)):
            yield f"{path.name}:{node.lineno} {receiver}.{method}()"


def test_no_view_module_writes_the_orm():
    modules = [p for p in VIEW_MODULES if p.name not in NOT_ENDPOINTS and p.name != "__init__.py"]
    assert len(modules) > 15  # the storefront's, the panel's and the API's endpoint modules
    writes = [w for path in modules for w in _orm_writes(path)]
    assert writes == []


def test_the_guard_sees_a_write(tmp_path):
    sample = tmp_path / "views.py"
    sample.write_text("def v(request):\n    Product.objects.filter(pk=1).update(price=1)\n    obj.save()\n")
    assert len(list(_orm_writes(sample))) == 2
