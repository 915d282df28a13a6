from auroramart.staff.permissions import grants


def panel(request):
    user = getattr(request, "user", None)
    if user is None or not (user.is_authenticated and user.is_staff):
        return {}
    granted = grants(user)  # the roles and permissions in one statement
    return {"panel_perms": granted.permissions, "panel_roles": granted.roles}
