from auroramart.staff.permissions import user_permissions


def panel(request):
    user = getattr(request, "user", None)
    if user is None or not (user.is_authenticated and user.is_staff):
        return {}
    return {
        "panel_perms": user_permissions(user),
        "panel_roles": lambda: list(user.groups.values_list("name", flat=True)),
    }
