import json

from django.core.management.base import BaseCommand, CommandError

from auroramart.search import relevance


class Command(BaseCommand):
    help = (
        "Search relevance on the shop's catalogue: a set of graded queries of twelve kinds (names, SKUs, "
        "typos, partial words, brands, category words, plurals, synonyms, descriptive queries with a "
        "price, an option or a dietary need), with P@1 and NDCG@10 per kind."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=27)
        parser.add_argument("--json", action="store_true", help="write one JSON object to standard output")
        parser.add_argument(
            "--misses", action="store_true", help="list the queries whose first result is not the best"
        )

    def handle(self, *args, **options):
        items = relevance.catalogue()
        if len(items) < 100:
            raise CommandError(
                "The relevance set needs a catalogue of at least 100 products (make demo-data)."
            )
        cases = relevance.build(items, options["seed"])
        result = relevance.evaluate(cases, items)
        if options["json"]:
            self.stdout.write(json.dumps(result, indent=2))
            return
        self.stdout.write(f"{result['all']['queries']} queries on {len(items)} products:")
        self.stdout.write(f"  {'kind':22} {'queries':>7} {'P@1':>6} {'NDCG@10':>8}")
        for kind, row in [*result["kinds"].items(), ("all", result["all"])]:
            self.stdout.write(f"  {kind:22} {row['queries']:7} {row['p_at_1']:6.3f} {row['ndcg_10']:8.3f}")
        if options["misses"]:
            for miss in result["misses"]:
                self.stdout.write(f"  not first: [{miss['kind']}] {miss['query']!r} -> {miss['first']}")
