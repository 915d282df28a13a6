from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from auroramart.catalog.models import Product
from auroramart.demo.accounts import DEMO_CUSTOMER_EMAIL, DEMO_PASSWORD

STAFF_ROLES = ["superadmin", "admin", "analyst", "crm", "service", "sales"]


class Command(BaseCommand):
    help = "Print the shop's URLs and, in demo mode, the demo accounts."

    def add_arguments(self, parser):
        parser.add_argument("--port", default="8000")

    def handle(self, *args, port, **opts):
        base = f"http://127.0.0.1:{port}"
        lines = [
            "",
            "AuroraMart is starting.",
            f"  Storefront   {base}/",
            f"  Products     {base}/item/",
            f"  Health       {base}/healthz",
            f"  Catalog      {Product.objects.count()} products",
        ]
        if settings.DEMO_MODE:
            User = get_user_model()
            lines += [
                "",
                f"Demo accounts (password: {DEMO_PASSWORD})",
                f"  customer     {DEMO_CUSTOMER_EMAIL}",
            ]
            for role in STAFF_ROLES:
                email = f"{role}@auroramart.test"
                if User.objects.filter(email=email).exists():
                    lines.append(f"  {role:<12} {email}  ({base}/admin-panel/)")
        self.stdout.write("\n".join(lines) + "\n")
