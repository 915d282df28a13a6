"""Staff records: the audit log (written by every domain service that makes a staff change,
inside that change's transaction), staff accounts and roles, staff sessions, customer notes."""

import datetime
import decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.module_loading import import_string

from auroramart.core.client import Actor, client_ip

from .models import AuditLog, CustomerNote, PanelAccess, StaffSession
from .permissions import PERMISSIONS, ROLES


def _ip(request) -> str | None:
    return client_ip(request) or None


def _plain(value):
    if isinstance(value, Model):
        return str(value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return value


def snapshot(instance: Model, fields) -> dict:
    return {name: _plain(getattr(instance, name)) for name in fields}


def diff(before: dict, after: dict) -> dict:
    """{field: [before, after]} for the fields that changed."""
    return {k: [before.get(k), after.get(k)] for k in after if before.get(k) != after.get(k)}


def record_audit(
    actor: Actor | None,
    action: str,
    obj=None,
    *,
    changes: dict | None = None,
    object_type: str = "",
    object_id="",
    object_repr: str = "",
) -> AuditLog | None:
    """One row of the audit log. Services call it inside their own transaction, so the change
    and its audit are written together or not at all. No actor (a job, a command) or one who
    is not staff: no row."""
    if actor is None or not getattr(actor.user, "is_staff", False):
        return None  # the log is of staff actions: a customer's own cancellation is in its ledger
    user = actor.user
    if obj is not None:
        object_type = object_type or obj._meta.label
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
    return AuditLog.objects.create(
        actor=user,
        actor_email=getattr(user, "email", "") or "",
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        object_repr=object_repr[:200],
        changes={k: [_plain(v[0]), _plain(v[1])] for k, v in (changes or {}).items()},
        ip=actor.ip,
    )


def actor_user(actor: Actor | None):
    """The staff user of an actor, for the ledgers' own actor columns."""
    return actor.user if actor is not None else None


def start_staff_session(request) -> None:
    request.session["staff_login_at"] = timezone.now().timestamp()
    request.session["staff_seen_at"] = timezone.now().timestamp()
    request.session.save()
    StaffSession.objects.update_or_create(
        session_key=request.session.session_key,
        defaults={
            "user": request.user,
            "ip": _ip(request),
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
        },
    )


def end_staff_session(session_key: str | None) -> None:
    """The panel's record of a session that was just signed out."""
    if session_key:
        StaffSession.objects.filter(session_key=session_key).delete()


def revoke_sessions(user, *, keys: list[str] | None = None) -> int:
    """End some or all of a staff member's sessions, wherever they are signed in."""
    sessions = StaffSession.objects.filter(user=user)
    if keys is not None:
        sessions = sessions.filter(session_key__in=keys)
    keys = list(sessions.values_list("session_key", flat=True))
    # Through the session engine, not the table: with cached_db sessions the
    # cached copy must go too, or a revoked session would keep working.
    store = import_string(f"{settings.SESSION_ENGINE}.SessionStore")
    for key in keys:
        store(session_key=key).delete()
    sessions.delete()
    return len(keys)


@transaction.atomic
def setup_roles() -> dict[str, int]:
    """Create or update the six roles and their permissions; safe to run twice."""
    content_type = ContentType.objects.get_for_model(PanelAccess, for_concrete_model=False)
    permissions = {}
    for codename, name in PERMISSIONS.items():
        permissions[codename], _ = Permission.objects.update_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )
    counts = {}
    for role, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set([permissions[c] for c in codenames])
        counts[role] = len(codenames)
    return counts


@transaction.atomic
def create_staff(
    *,
    email: str,
    password: str | None,
    role: str,
    first_name: str = "",
    last_name: str = "",
    actor: Actor | None = None,
):
    """Create a staff account (or make an existing staff account this role), audited."""
    User = get_user_model()  # noqa: N806 -- staff sits below accounts and names no app's model
    if role not in ROLES:
        raise ValueError(f"Unknown role {role!r}")
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(
            email, password, first_name=first_name, last_name=last_name, is_staff=True
        )
    else:
        user.is_staff = True
        if password:
            user.set_password(password)
        user.save()
    user.groups.set([Group.objects.get(name=role)])
    record_audit(actor, "create", user, changes={"role": [None, role]})
    return user


def _role_of(member) -> str:
    return ", ".join(member.groups.values_list("name", flat=True))


@transaction.atomic
def update_staff(*, member, actor: Actor, role: str | None = None, active: bool | None = None):
    """Change a staff member's role or switch their account on or off (never your own off);
    a deactivated member is signed out everywhere."""
    before = {"role": _role_of(member), "is_active": member.is_active}
    if role is not None:
        if role not in ROLES:
            raise ValueError(f"Unknown role {role!r}")
        member.groups.set([Group.objects.get(name=role)])
    if active is not None and not (active is False and member == actor.user):
        member.is_active = active
        member.save(update_fields=["is_active"])
        if not active:
            revoke_sessions(member)
    after = {"role": _role_of(member), "is_active": member.is_active}
    record_audit(
        actor, "update", member, changes={k: [before[k], after[k]] for k in after if before[k] != after[k]}
    )
    return member


@transaction.atomic
def add_customer_note(*, customer, text: str, actor: Actor) -> CustomerNote | None:
    text = text.strip()[:2000]
    if not text:
        return None
    note = CustomerNote.objects.create(customer=customer, author=actor.user, text=text)
    record_audit(actor, "add_note", customer, changes={"note": [None, note.text[:100]]})
    return note
