"""The admin panel's permissions and roles: the permission matrix lives here
(and in the README). Every panel view names the permission it needs."""

from dataclasses import dataclass
from functools import lru_cache

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connections, router

from .apps import StaffConfig

PERMISSIONS = {
    "view_dashboard": "See the dashboard",
    "view_customers": "See customers",
    "manage_customers": "Deactivate customers, send them messages",
    "adjust_points": "Adjust loyalty points",
    "export_customers": "Export customers as CSV",
    "view_products": "See products and stock",
    "manage_products": "Create and edit products, categories, brands, images",
    "change_prices": "Change prices",
    "adjust_stock": "Adjust stock",
    "import_products": "Import and export products",
    "view_orders": "See orders",
    "manage_orders": "Change order status, cancel, refund, handle returns",
    "moderate_reviews": "Moderate reviews",
    "manage_promotions": "Manage coupons and campaigns",
    "manage_loyalty": "Manage loyalty tiers and rewards",
    "manage_shipping": "Manage shipping zones, delivery methods and tax rates",
    "view_analytics": "See analytics",
    "manage_recommendations": "Retrain recommendation models, re-predict customers' categories",
    "manage_search": "Manage search synonyms and pinned products",
    "view_audit": "See the audit log",
    "manage_staff": "Manage staff accounts and roles",
    "view_login_attempts": "See sign-in attempts",
}

ALL = set(PERMISSIONS)
ROLES = {
    "Superadmin": ALL,
    "Admin": ALL - {"manage_staff", "view_login_attempts"},
    "Analyst": {"view_dashboard", "view_analytics", "view_customers", "view_orders", "view_audit"},
    "CRM": {
        "view_dashboard",
        "view_customers",
        "manage_customers",
        "adjust_points",
        "export_customers",
        "manage_loyalty",
        "manage_promotions",
    },
    "Service": {"view_dashboard", "view_customers", "view_orders", "manage_orders", "moderate_reviews"},
    "Sales": {
        "view_dashboard",
        "view_orders",
        "manage_orders",
        "view_products",
        "change_prices",
        "manage_promotions",
    },
}


def role_permissions(role: str) -> set[str]:
    return ROLES.get(role, set())


@dataclass(frozen=True)
class Grants:
    """What a member of staff may do in the panel: their roles' names (the panel's header shows
    them) and the panel permissions of those roles and of the account itself."""

    roles: tuple[str, ...]
    permissions: frozenset[str]


NONE = Grants((), frozenset())


def grants(user) -> Grants:
    """A member's roles and panel permissions, read in one statement and kept on the user object
    for the request. Django's ModelBackend reads the same in two (the account's own permissions,
    then its groups'), and the header's roles took a third: a third of the analytics page's
    statements (#23). What it grants is what `user.get_all_permissions()` grants in the panel's
    app, which tests/test_admin_panel.py checks for every role."""
    cached = getattr(user, "_panel_grants", None)
    if cached is not None:
        return cached
    if not (user.is_authenticated and user.is_staff and user.is_active):
        found = NONE
    else:
        using = router.db_for_read(Permission)
        with connections[using].cursor() as cursor:
            cursor.execute(_grants_statement(), [PANEL_APP, user.pk, PANEL_APP, user.pk])
            rows = cursor.fetchall()
        roles = tuple(sorted({role for role, _ in rows if role is not None}))
        permissions = ALL if user.is_superuser else {codename for _, codename in rows if codename}
        found = Grants(roles, frozenset(permissions & ALL))
    user._panel_grants = found
    return found


PANEL_APP = StaffConfig.label  # the panel's permissions are this app's (staff.models.PanelAccess)


@lru_cache(maxsize=1)
def _grants_statement() -> str:
    """Each of the member's roles with its panel permissions (a role without any still
    appears, its codename NULL), then the panel permissions given to the account itself. Table
    names come from the models' metadata; the user's key and the app are bound parameters."""
    user_model = get_user_model()
    member_roles, member_permissions = user_model.groups.field, user_model.user_permissions.field
    return GRANTS_SQL.format(
        member_roles=member_roles.m2m_db_table(),
        member=member_roles.m2m_column_name(),
        role_key=member_roles.m2m_reverse_name(),
        member_permissions=member_permissions.m2m_db_table(),
        permission_member=member_permissions.m2m_column_name(),
        permission_key=member_permissions.m2m_reverse_name(),
        role_permissions_role=Group.permissions.field.m2m_column_name(),
        role_permissions_permission=Group.permissions.field.m2m_reverse_name(),
        role=Group._meta.db_table,
        role_permissions=Group.permissions.through._meta.db_table,
        permission=Permission._meta.db_table,
        content_type=ContentType._meta.db_table,
    )


GRANTS_SQL = """
SELECT r.name, p.codename
FROM {member_roles} mr
JOIN {role} r ON r.id = mr.{role_key}
LEFT JOIN {role_permissions} rp ON rp.{role_permissions_role} = r.id
LEFT JOIN {permission} p ON p.id = rp.{role_permissions_permission}
  AND p.content_type_id IN (SELECT id FROM {content_type} WHERE app_label = %s)
WHERE mr.{member} = %s
UNION ALL
SELECT NULL, p.codename
FROM {member_permissions} mp
JOIN {permission} p ON p.id = mp.{permission_key}
JOIN {content_type} ct ON ct.id = p.content_type_id AND ct.app_label = %s
WHERE mp.{permission_member} = %s
"""


def user_permissions(user) -> frozenset[str]:
    """The panel permissions of a staff member (see `grants`)."""
    return grants(user).permissions
