"""Write-side operations on customer accounts: registration, profile, addresses,
wishlist, notifications, account deletion. Called by views, commands, the admin
panel and the API alike."""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from auroramart.core import rows
from auroramart.core.client import Actor
from auroramart.core.events import publish
from auroramart.core.outbox import queue_email
from auroramart.core.uploads import jpeg_bytes, open_picture
from auroramart.staff.services import record_audit

from .addresses import clean_country, clean_postal_code
from .events import CustomerErasing, CustomerRegistered, CustomerSignedIn, ProfileUpdated
from .models import Address, CustomerProfile, Notification, User, WishlistItem


@dataclass(frozen=True)
class Demographics:
    age: int
    gender: str
    employment_status: str
    occupation: str
    education: str
    household_size: int
    has_children: bool
    monthly_income_sgd: Decimal


class EmailTaken(ValidationError):
    pass


@transaction.atomic
def register_customer(
    *,
    email: str,
    password: str,
    first_name: str,
    last_name: str,
    demographics: Demographics,
    marketing_opt_in: bool = False,
) -> User:
    """Create the customer and their profile; the apps that react to CustomerRegistered (loyalty
    account, predicted categories) do their part in the same transaction: all or nothing."""
    email = User.objects.normalize_email(email).lower()
    if User.objects.filter(email__iexact=email).exists():
        raise EmailTaken("An account with this email address already exists.", code="email_taken")
    try:
        with transaction.atomic():
            user = User.objects.create_user(email, password, first_name=first_name, last_name=last_name)
    except IntegrityError:  # a concurrent registration with the same address won the race
        raise EmailTaken("An account with this email address already exists.", code="email_taken") from None
    CustomerProfile.objects.create(user=user, marketing_opt_in=marketing_opt_in, **demographics.__dict__)
    publish(CustomerRegistered(user=user))
    _welcome(user)
    return user


UNSUBSCRIBE_SALT = "accounts.unsubscribe"


def unsubscribe_url(user: User) -> str:
    """A signed link that stops marketing email for this customer in one click (no sign-in)."""
    from django.core import signing
    from django.urls import reverse

    token = signing.dumps(user.pk, salt=UNSUBSCRIBE_SALT)
    return f"{settings.SITE_URL}{reverse('accounts:unsubscribe', kwargs={'token': token})}"


def unsubscribe_url_for_email(email: str) -> str:
    """The same for a guest, who is known by the email they gave at checkout."""
    from django.core import signing
    from django.urls import reverse

    token = signing.dumps({"e": email.lower()}, salt=UNSUBSCRIBE_SALT)
    return f"{settings.SITE_URL}{reverse('accounts:unsubscribe', kwargs={'token': token})}"


def one_click_headers(url: str) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe, which mail clients show as an "Unsubscribe" button."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def marketing_headers(user: User) -> dict[str, str]:
    return one_click_headers(unsubscribe_url(user))


def unsubscribe(*, token: str) -> bool:
    """Turn marketing off for the customer (or guest email) a link names; False when forged."""
    from django.core import signing

    from auroramart.cart.models import Cart

    try:
        who = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return False
    if isinstance(who, dict):
        email = str(who.get("e", ""))
        Cart.objects.filter(email__iexact=email).update(marketing_opt_in=False)
        CustomerProfile.objects.filter(user__email__iexact=email).update(marketing_opt_in=False)
        return bool(email)
    CustomerProfile.objects.filter(user_id=who).update(marketing_opt_in=False)
    return True


def wants_marketing(user: User) -> bool:
    return CustomerProfile.objects.filter(user=user, marketing_opt_in=True).exists()


def _welcome(user: User) -> None:
    """The welcome email, through the outbox with the account it greets."""
    hello = f"Hello {user.first_name}," if user.first_name else "Hello,"
    queue_email(
        to=user.email,
        subject=f"Welcome to {settings.SHOP_NAME}",
        body=(
            f"{hello}\n\nYour {settings.SHOP_NAME} account is ready. Every order earns loyalty points, "
            "and your recommendations get better the more you browse.\n\n"
            f"Start shopping:\n{settings.SITE_URL}/"
        ),
    )


def register_with_password(*, email: str, password: str, first_name: str = "", last_name: str = "") -> User:
    """An account made in one step from a guest's order: the email they bought with and a
    password (checked by the password validators). The demographic profile is left for later;
    until then recommendations fall back to what is popular."""
    from django.contrib.auth.password_validation import validate_password

    email = User.objects.normalize_email(email).lower()
    validate_password(password, User(email=email, first_name=first_name, last_name=last_name))
    if User.objects.filter(email__iexact=email).exists():
        raise EmailTaken(
            "An account with this email address already exists: sign in instead.", code="email_taken"
        )
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email, password, first_name=first_name[:150], last_name=last_name[:150]
            )
    except IntegrityError:
        raise EmailTaken(
            "An account with this email address already exists: sign in instead.", code="email_taken"
        ) from None
    publish(CustomerRegistered(user=user))
    _welcome(user)
    return user


@transaction.atomic
def signed_in(*, user: User, session=None) -> None:
    """A customer has just signed in (the browser's rotated session, or None for an API token):
    the apps that keep something per visit take it over (the guest's cart joins theirs)."""
    publish(CustomerSignedIn(user=user, session=session))


@transaction.atomic
def update_profile(
    *,
    user: User,
    first_name: str,
    last_name: str,
    demographics: Demographics,
    marketing_opt_in: bool,
    preferred_categories,
) -> CustomerProfile:
    user.first_name, user.last_name = first_name, last_name
    user.save(update_fields=["first_name", "last_name"])
    # An account made from a guest order gets its profile the first time it is filled in.
    profile = CustomerProfile.objects.filter(user=user).first() or CustomerProfile(user=user)
    for field, value in demographics.__dict__.items():
        setattr(profile, field, value)
    profile.marketing_opt_in = marketing_opt_in
    profile.save()
    profile.preferred_categories.set(preferred_categories)
    publish(ProfileUpdated(user=user))
    return profile


def clean_avatar(upload) -> bytes:
    """The shop's upload policy (core/uploads.py), re-encoded at avatar size."""
    size = settings.AVATAR_SIZE
    return jpeg_bytes(open_picture(upload, box=(size, size)))


@transaction.atomic
def set_avatar(*, user: User, upload) -> CustomerProfile:
    data = clean_avatar(upload)
    profile = CustomerProfile.objects.filter(user=user).first()
    if profile is None:
        raise ValidationError("Fill in your profile first; then add a picture.", code="no_profile")
    old = profile.avatar.name if profile.avatar else None
    profile.avatar.save(f"{user.pk}-{timezone.now():%Y%m%d%H%M%S}.jpg", ContentFile(data), save=True)
    if old:
        storage = profile.avatar.storage
        transaction.on_commit(lambda: storage.delete(old))
    return profile


@transaction.atomic
def remove_avatar(*, user: User) -> None:
    profile = CustomerProfile.objects.filter(user=user).first()
    if profile is not None and profile.avatar:
        name, storage = profile.avatar.name, profile.avatar.storage
        profile.avatar = ""
        profile.save(update_fields=["avatar", "updated_at"])
        transaction.on_commit(lambda: storage.delete(name))


# --- addresses --------------------------------------------------------------------------

ADDRESS_FIELDS = ("label", "full_name", "phone", "line1", "line2", "postal_code", "city", "region", "country")


@transaction.atomic
def save_address(*, user: User, address: Address | None = None, data: dict) -> Address:
    """Create or update one of the user's addresses; keeps exactly one default of each kind.

    The user's first address becomes the default for both kinds; a default
    stops being one only when another address is made the default.
    """
    # Lock the user's addresses so two concurrent "make default" requests cannot both win.
    existing = list(Address.objects.select_for_update().filter(user=user).order_by("pk"))
    if address is None:
        address = Address(user=user)
    elif address.user_id != user.pk:
        raise Address.DoesNotExist
    for field in ADDRESS_FIELDS:
        if field in data:
            setattr(address, field, data[field])
    try:
        address.country = clean_country(str(address.country or "SG"))
    except ValidationError as exc:
        raise ValidationError({"country": exc.messages}) from None
    try:  # the postal code in its country's format, whoever writes the address
        address.postal_code = clean_postal_code(str(address.country), address.postal_code)
    except ValidationError as exc:
        raise ValidationError({"postal_code": exc.messages}) from None
    first = not any(a.pk != address.pk for a in existing)
    make_shipping = data.get("is_default_shipping", False) or first
    make_billing = data.get("is_default_billing", False) or first
    if make_shipping:
        Address.objects.filter(user=user, is_default_shipping=True).exclude(pk=address.pk).update(
            is_default_shipping=False
        )
    if make_billing:
        Address.objects.filter(user=user, is_default_billing=True).exclude(pk=address.pk).update(
            is_default_billing=False
        )
    # A default stays a default until another address takes its place.
    address.is_default_shipping = make_shipping or address.is_default_shipping
    address.is_default_billing = make_billing or address.is_default_billing
    address.save()
    return address


@transaction.atomic
def delete_address(*, user: User, address: Address) -> None:
    was_shipping, was_billing = address.is_default_shipping, address.is_default_billing
    address.delete()
    successor = Address.objects.filter(user=user).order_by("-created_at").first()
    if successor and (was_shipping or was_billing):
        successor.is_default_shipping = successor.is_default_shipping or was_shipping
        successor.is_default_billing = successor.is_default_billing or was_billing
        successor.save(update_fields=["is_default_shipping", "is_default_billing"])


# --- wishlist ---------------------------------------------------------------------------


def add_to_wishlist(*, user: User, product) -> bool:
    """Returns True when the product was added, False when it already was there."""
    _, created = WishlistItem.objects.get_or_create(user=user, product=product)
    return created


def remove_from_wishlist(*, user: User, product_id: int) -> bool:
    deleted, _ = WishlistItem.objects.filter(user=user, product_id=product_id).delete()
    return bool(deleted)


# --- notifications ----------------------------------------------------------------------


def notify(*, user: User, kind: str, title: str, body: str = "", url: str = "") -> None:
    """A notification on the customer's account page (a paid order writes two: a constant
    statement, not the ORM's, #23)."""
    rows.insert(Notification, user=user, kind=kind, title=title, body=body, url=url)


def mark_notifications_read(*, user: User, ids: list[int] | None = None) -> int:
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())


# --- account deletion -------------------------------------------------------------------


@transaction.atomic
def delete_customer_account(*, user: User) -> None:
    """Erase the customer's personal data; keep what the books need, anonymised.

    The account row stays (orders and reviews point at it) but no longer
    identifies anyone and can never sign in again.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    publish(CustomerErasing(user=user))  # orders keep their figures but lose names and addresses
    profile = CustomerProfile.objects.filter(user=user).first()
    if profile is not None:
        if profile.avatar:
            name, storage = profile.avatar.name, profile.avatar.storage
            transaction.on_commit(lambda: storage.delete(name))
        profile.delete()
    user.addresses.all().delete()
    user.wishlist_items.all().delete()
    user.notifications.all().delete()
    user.email = f"deleted-{user.pk}@deleted.invalid"
    user.first_name = ""
    user.last_name = "Former customer"
    user.is_active = False
    user.set_unusable_password()
    user.save()


# --- staff changes to a customer ------------------------------------------------------------


@transaction.atomic
def set_customer_active(*, customer: User, active: bool, actor: Actor | None) -> User:
    """Switch a customer's account off (they can no longer sign in) or on again, audited."""
    customer = User.objects.select_for_update().get(pk=customer.pk, is_staff=False)
    before = customer.is_active
    customer.is_active = active
    customer.save(update_fields=["is_active"])
    record_audit(
        actor, "activate" if active else "deactivate", customer, changes={"is_active": [before, active]}
    )
    return customer


@transaction.atomic
def message_customer(*, customer: User, title: str, body: str, email: bool, actor: Actor | None) -> None:
    """A notification from staff, and by email too if asked (through the outbox)."""
    title, body = title.strip()[:200], body[:2000]
    if not title:
        raise ValidationError("Write a title for the message.", code="required")
    notify(user=customer, kind=Notification.Kind.ACCOUNT, title=title, body=body)
    if email and customer.is_active:
        queue_email(to=customer.email, subject=title, body=body)
    record_audit(actor, "notify", customer, changes={"title": [None, title], "email": [None, email]})
