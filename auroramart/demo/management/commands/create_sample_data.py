from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from auroramart.analytics.rollups import rollup
from auroramart.catalog.models import Product
from auroramart.demo.accounts import ensure_demo_customer, generate_customers, generate_wishlists
from auroramart.demo.analytics import generate_traffic
from auroramart.demo.campaigns import create_demo_campaign
from auroramart.demo.catalog import ensure_taxonomy, generate_catalog
from auroramart.demo.loyalty import generate_loyalty
from auroramart.demo.orders import generate_orders
from auroramart.demo.promotions import ensure_demo_coupons
from auroramart.demo.shipping import ensure_demo_zones
from auroramart.search.services import ensure_curated_suggestions, ensure_demo_synonyms

ANALYTICS_DAYS = 366  # the demo orders span the past year


class Command(BaseCommand):
    help = "Build the deterministic AuroraMart demo shop (catalog, customers, reviews). Safe to run twice."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=42, help="random seed (same seed, same shop)")
        parser.add_argument("--products", type=int, default=500, help="number of products (default 500)")
        parser.add_argument("--customers", type=int, default=120, help="number of customers (default 120)")
        parser.add_argument(
            "--orders", type=int, default=3000, help="number of historical orders (default 3000)"
        )
        parser.add_argument(
            "--images", type=int, default=1000, help="draw images for at most this many products"
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when the catalog already has products"
        )
        parser.add_argument(
            "--analytics-days",
            type=int,
            default=ANALYTICS_DAYS,
            help=f"roll the analytics up for this many days back (default {ANALYTICS_DAYS}; 0: none)",
        )
        parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")

    def handle(self, *args, **opts):
        counts = (opts["customers"], opts["images"], opts["orders"], opts["analytics_days"])
        if opts["products"] < 1 or min(counts) < 0:
            raise CommandError(
                "--products must be at least 1; --customers, --images, --orders and --analytics-days "
                "not negative."
            )
        if Product.objects.exists():
            message = "The catalog already has products; sample data left as it is."
            if opts["if_empty"]:
                self.stdout.write(message)
                self._demo_accounts()
                return
            raise CommandError(message + " Use a fresh database to build another demo shop.")

        def progress(iterable, **kwargs):
            return tqdm(iterable, disable=opts["no_progress"], leave=False, **kwargs)

        ensure_taxonomy()
        ensure_demo_zones()
        customers = generate_customers(seed=opts["seed"], count=opts["customers"])
        stats = generate_catalog(
            seed=opts["seed"],
            products=opts["products"],
            images_limit=opts["images"],
            reviewers=customers,
            progress=progress,
        )
        wishlist_items = generate_wishlists(seed=opts["seed"], customers=customers)
        self._demo_accounts()  # before the orders, so the demo customer has a history too
        ensure_demo_coupons()  # before the orders too: some of them used a coupon,
        campaign = create_demo_campaign(seed=opts["seed"])  # and some came from a campaign
        orders = generate_orders(
            seed=opts["seed"], count=opts["orders"], progress=progress, campaign=campaign
        )
        loyalty = generate_loyalty()
        ensure_curated_suggestions()
        ensure_demo_synonyms()
        self._demo_accounts()
        traffic = generate_traffic(seed=opts["seed"])
        days = opts["analytics_days"]
        if days:
            today = timezone.localdate()
            rollup(today - timedelta(days=days - 1), today, progress)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo shop ready: {stats.products} products in {stats.categories} categories "
                f"and {stats.subcategories} subcategories, {stats.brands} brands, "
                f"{stats.images} images, {stats.reviews} reviews, {len(customers)} customers "
                f"with {wishlist_items} wishlist items, {orders['orders']} orders with {orders['lines']} lines, "
                f"{loyalty['transactions']} loyalty transactions, {traffic['views']} product views; "
                f"analytics rolled up for the last {days} days."
            )
        )

    def _demo_accounts(self):
        if settings.DEMO_MODE:
            ensure_demo_customer()
