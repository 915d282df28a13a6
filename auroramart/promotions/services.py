"""Coupons: checking a code for a customer and a basket, and counting its uses
under row locks so a limited coupon is never used past its limit."""

from decimal import Decimal

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from auroramart.core.client import Actor
from auroramart.core.money import quantize
from auroramart.staff.services import record_audit, snapshot

from .models import Coupon, CouponRedemption

# What staff set on a coupon (the panel's form uses the same list).
COUPON_FIELDS = [
    "code",
    "description",
    "kind",
    "value",
    "min_spend",
    "starts_at",
    "ends_at",
    "usage_limit",
    "per_customer_limit",
    "stackable",
    "is_active",
]


class CouponError(Exception):
    """A code that cannot be used now, with the reason in words for the customer."""


def find_coupon(code: str) -> Coupon:
    code = (code or "").strip()
    if not code:
        raise CouponError("Enter a coupon code.")
    coupon = Coupon.objects.filter(code__iexact=code).first()
    if coupon is None or not coupon.is_active:
        raise CouponError(f"“{code}” is not a valid coupon code.")
    return coupon


def check_coupon(coupon: Coupon, *, user, subtotal: Decimal, now=None, email: str = "") -> None:
    """Raise CouponError with the specific reason the coupon cannot be used. A per-customer
    limit counts the uses of the account and of the email (a guest's, or the account's)."""
    now = now or timezone.now()
    if not coupon.is_active:
        raise CouponError(f"The coupon {coupon.code} is no longer available.")
    if coupon.starts_at and now < coupon.starts_at:
        raise CouponError(
            f"The coupon {coupon.code} is valid from {timezone.localtime(coupon.starts_at):%d %b %Y}."
        )
    if coupon.ends_at and now >= coupon.ends_at:
        raise CouponError(
            f"The coupon {coupon.code} expired on {timezone.localtime(coupon.ends_at):%d %b %Y}."
        )
    if coupon.usage_limit is not None and coupon.times_used >= coupon.usage_limit:
        raise CouponError(f"The coupon {coupon.code} has been used up.")
    signed_in = user is not None and user.is_authenticated
    email = (user.email if signed_in else email or "").strip()
    if coupon.per_customer_limit is not None and (signed_in or email):
        whose = Q(email__iexact=email) if email else Q()
        if signed_in:
            whose = whose | Q(user=user) if email else Q(user=user)
        used = CouponRedemption.objects.filter(whose, coupon=coupon).count()
        if used >= coupon.per_customer_limit:
            times = "once" if coupon.per_customer_limit == 1 else f"{coupon.per_customer_limit} times"
            raise CouponError(f"You have already used the coupon {coupon.code} ({times} per customer).")
    if subtotal < coupon.min_spend:
        raise CouponError(
            f"The coupon {coupon.code} needs a minimum spend of S${coupon.min_spend:,.2f}; "
            f"your basket is S${subtotal:,.2f}."
        )


def coupon_discount(coupon: Coupon, merchandise: Decimal) -> Decimal:
    """The amount a coupon takes off the merchandise (free shipping is handled with shipping)."""
    if coupon.kind == Coupon.Kind.PERCENT:
        return min(merchandise, quantize(merchandise * coupon.value / Decimal(100)))
    if coupon.kind == Coupon.Kind.FIXED:
        return min(merchandise, quantize(coupon.value))
    return Decimal("0.00")


def can_combine(coupons: list[Coupon], max_per_order: int) -> bool:
    if len(coupons) <= 1:
        return True
    return len(coupons) <= max(max_per_order, 1) or all(c.stackable for c in coupons)


def redeem_coupons(*, applied: list[tuple[Coupon, Decimal]], user, order, now=None, email: str = "") -> None:
    """Count the uses at order placement, in the caller's transaction.

    Locks the coupon rows in primary-key order, re-checks each against its
    limits, then increments with F(); a CheckConstraint keeps the count
    within the limit as the last guard.
    """
    if not applied:
        return
    ids = sorted(c.pk for c, _ in applied)
    locked = {c.pk: c for c in Coupon.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    for coupon, _ in applied:
        check_coupon(locked[coupon.pk], user=user, subtotal=Decimal("Infinity"), now=now, email=email)
    Coupon.objects.filter(pk__in=ids).update(times_used=F("times_used") + 1)
    CouponRedemption.objects.bulk_create(
        [
            CouponRedemption(
                coupon=locked[c.pk],
                order=order,
                user=user,
                email=email or getattr(user, "email", ""),
                amount=amount,
            )
            for c, amount in applied
        ]
    )


@transaction.atomic
def release_coupons(*, order) -> None:
    """Give the uses back (a failed payment or a cancelled order)."""
    redemptions = list(CouponRedemption.objects.filter(order=order).select_related("coupon"))
    ids = sorted(r.coupon_id for r in redemptions)
    if not ids:
        return
    list(Coupon.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    Coupon.objects.filter(pk__in=ids, times_used__gt=0).update(times_used=F("times_used") - 1)
    CouponRedemption.objects.filter(order=order).delete()


# --- staff changes ----------------------------------------------------------------------


@transaction.atomic
def create_coupon(*, data: dict, actor: Actor | None) -> Coupon:
    """A coupon from validated data (COUPON_FIELDS), its code in capitals."""
    values = {k: v for k, v in data.items() if k in COUPON_FIELDS}
    values["code"] = values["code"].strip().upper()
    coupon = Coupon.objects.create(**values)
    record_audit(
        actor, "create", coupon, changes={k: [None, v] for k, v in snapshot(coupon, COUPON_FIELDS).items()}
    )
    return coupon


@transaction.atomic
def set_coupon_active(*, coupon: Coupon, active: bool, actor: Actor | None) -> Coupon:
    coupon = Coupon.objects.select_for_update().get(pk=coupon.pk)
    before = coupon.is_active
    coupon.is_active = active
    coupon.save(update_fields=["is_active"])
    record_audit(actor, "update", coupon, changes={"is_active": [before, active]})
    return coupon
