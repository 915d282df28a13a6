"""The admin panel's permissions and roles: the permission matrix lives here
(and in the README). Every panel view names the permission it needs."""

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


def user_permissions(user) -> set[str]:
    """The panel permissions of a staff member (cached on the user object for the request)."""
    cached = getattr(user, "_panel_permissions", None)
    if cached is not None:
        return cached
    if not (user.is_authenticated and user.is_staff and user.is_active):
        perms = set()
    elif user.is_superuser:
        perms = set(ALL)
    else:
        perms = {p.split(".", 1)[1] for p in user.get_all_permissions() if p.startswith("admin_panel.")} & ALL
    user._panel_permissions = perms
    return perms
