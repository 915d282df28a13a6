import json

from django.core.management.base import BaseCommand, CommandError

from auroramart.recommendations import category_model, evaluation, services
from auroramart.recommendations.datasets import (
    DatasetError,
    read_baskets_csv,
    read_customers_csv,
    shop_baskets,
    shop_customers,
)


class Command(BaseCommand):
    help = (
        "Offline evaluation: the category model (accuracy and macro-F1 by repeated stratified 5-fold CV, "
        "chosen model vs the depth-5 reference tree vs the majority baseline) and the basket recommender "
        "(HitRate@5/10, NDCG@10, coverage on held-out baskets, associations vs popularity)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--customers-csv")
        parser.add_argument("--baskets-csv")
        parser.add_argument("--repeats", type=int, default=3, help="repetitions of the 5-fold CV")
        parser.add_argument("--json", action="store_true", help="write one JSON object to standard output")

    def handle(self, *args, **options):
        try:
            customers = (
                read_customers_csv(options["customers_csv"]) if options["customers_csv"] else shop_customers()
            )
            baskets = read_baskets_csv(options["baskets_csv"]) if options["baskets_csv"] else shop_baskets()
            result = {"category": self._category(customers, options["repeats"]), "baskets": None}
            result["baskets"] = {
                "source": baskets.source,
                **evaluation.evaluate_baskets(baskets, **services.ASSOCIATION_OPTIONS),
            }
        except (DatasetError, OSError) as exc:
            raise CommandError(str(exc)) from None
        if options["json"]:
            self.stdout.write(json.dumps(result, indent=2))
            return
        self._print(result)

    def _category(self, customers, repeats):
        cv = category_model.cross_validate(customers, repeats)
        chosen = category_model.choose(cv)
        return {
            "source": customers.source,
            "customers": cv["customers"],
            "classes": len(cv["classes"]),
            "folds": cv["folds"],
            "chosen_model": chosen,
            "chosen": cv["models"][chosen],
            "reference_tree_depth_5": cv["models"][category_model.REFERENCE],
            "majority_baseline": cv["models"]["majority_baseline"],
            "all_models": cv["models"],
        }

    def _print(self, result):
        c = result["category"]
        self.stdout.write(
            f"Category model on {c['source']} ({c['customers']} customers, {c['classes']} classes, "
            f"{c['folds']['splits']}-fold x {c['folds']['repeats']}):"
        )
        for name, scores in c["all_models"].items():
            mark = " <- chosen" if name == c["chosen_model"] else ""
            self.stdout.write(
                f"  {name:22} accuracy {scores['accuracy']:.3f} ± {scores['accuracy_std']:.3f}   "
                f"macro-F1 {scores['macro_f1']:.3f} ± {scores['macro_f1_std']:.3f}{mark}"
            )
        b = result["baskets"]
        self.stdout.write(
            f"Baskets from {b['source']}: {b['train_baskets']} training, {b['held_out_baskets']} held out, "
            f"{b['associations']['evaluated']} evaluated, {b['items']} items:"
        )
        for name in ("associations", "popularity"):
            m = b[name]
            self.stdout.write(
                f"  {name:14} HitRate@5 {m['hit_rate_5']:.3f}  HitRate@10 {m['hit_rate_10']:.3f}  "
                f"NDCG@10 {m['ndcg_10']:.3f}  coverage {m['coverage']:.3f}"
            )
        if b["hit_rate_10_ratio"] is not None:
            self.stdout.write(f"  associations / popularity HitRate@10: {b['hit_rate_10_ratio']:.2f}x")
