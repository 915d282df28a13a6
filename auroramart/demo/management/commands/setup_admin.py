from django.conf import settings
from django.core.management.base import BaseCommand

from auroramart.demo.accounts import DEMO_PASSWORD
from auroramart.staff.permissions import ROLES
from auroramart.staff.services import create_staff, setup_roles


class Command(BaseCommand):
    help = "Create or update the six admin-panel roles and their permissions; in demo mode, one staff account per role."

    def handle(self, *args, **opts):
        counts = setup_roles()
        for role, n in counts.items():
            self.stdout.write(f"role {role}: {n} permissions")
        if settings.DEMO_MODE:
            for role in ROLES:
                email = f"{role.lower()}@auroramart.test"
                create_staff(
                    email=email, password=DEMO_PASSWORD, role=role, first_name=role, last_name="Demo"
                )
                self.stdout.write(f"staff {email} ({role})")
