import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from auroramart.recommendations import category_model, evaluation, services, synthetic
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
        "(every basket recommender against popularity, co-occurrence and item-kNN baselines: "
        "HitRate@5/10, NDCG@10, coverage and training time, time-aware where baskets have dates)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--customers-csv")
        parser.add_argument(
            "--baskets-csv",
            help="a basket file: long (order id, SKU or product name, optional date) or wide (0/1 per SKU)",
        )
        parser.add_argument(
            "--synthetic-baskets",
            type=int,
            metavar="N",
            help="evaluate on N generated baskets (recommendations/synthetic.py) instead of the shop's",
        )
        parser.add_argument(
            "--split-date", type=date.fromisoformat, help="train before this date (default: the last weeks)"
        )
        parser.add_argument("--test-weeks", type=int, default=evaluation.TEST_WEEKS)
        parser.add_argument("--only", choices=["category", "baskets"], help="evaluate just one kind")
        parser.add_argument("--repeats", type=int, default=3, help="repetitions of the 5-fold CV")
        parser.add_argument("--json", action="store_true", help="write one JSON object to standard output")

    def handle(self, *args, **options):
        result = {"category": None, "baskets": None}
        try:
            if options["only"] != "baskets":
                customers = (
                    read_customers_csv(options["customers_csv"])
                    if options["customers_csv"]
                    else shop_customers()
                )
                result["category"] = self._category(customers, options["repeats"])
            if options["only"] != "category":
                result["baskets"] = self._baskets(options)
        except (DatasetError, OSError) as exc:
            raise CommandError(str(exc)) from None
        if options["json"]:
            self.stdout.write(json.dumps(result, indent=2))
            return
        self._print(result)

    def _baskets(self, options):
        if options["synthetic_baskets"]:
            baskets = synthetic.as_baskets(synthetic.generate(options["synthetic_baskets"]))
        elif options["baskets_csv"]:
            baskets = read_baskets_csv(options["baskets_csv"])
        else:
            baskets = shop_baskets()
        if baskets.matrix.shape[0] < 2:
            raise DatasetError(f"{baskets.source}: at least two baskets are needed to evaluate.")
        compared = evaluation.compare(
            baskets, cutoff=options["split_date"], weeks=options["test_weeks"], **services.ASSOCIATION_OPTIONS
        )
        return {
            "source": baskets.source,
            **compared,
            "chosen_over_best_baseline_hit_rate_10": evaluation.lift_over(
                compared, compared["best_baseline"]
            ),
            "chosen_over_popularity_hit_rate_10": evaluation.lift_over(compared, "popularity"),
        }

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
        if result["category"]:
            self._print_category(result["category"])
        if result["baskets"]:
            self._print_baskets(result["baskets"])

    def _print_category(self, c):
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

    def _print_baskets(self, b):
        split = b["split"]
        how = (
            f"trained before {split['train_until']}, tested to {split['test_until']}"
            if split["kind"] == "time"
            else f"{split['held_out_share']:.0%} of baskets held out at random"
        )
        first = next(iter(b["models"].values()))
        self.stdout.write(
            f"Baskets from {b['source']} ({how}): {b['train_baskets']} training, {b['held_out_baskets']} "
            f"tested, {first['evaluated']} evaluated, {b['items']} items:"
        )
        self.stdout.write(f"  {'model':18} HitRate@5  HitRate@10  NDCG@10  coverage  training s")
        rows = list(b["models"].items())
        if "chosen_as_served" in b:
            rows.append((f"{b['chosen']} as served", b["chosen_as_served"]))
        for name, m in rows:
            mark = (
                " <- chosen"
                if name == b["chosen"]
                else (" (best baseline)" if name == b["best_baseline"] else "")
            )
            self.stdout.write(
                f"  {name:18} {m['hit_rate_5']:9.3f}  {m['hit_rate_10']:10.3f}  {m['ndcg_10']:7.3f}  "
                f"{m['coverage']:8.3f}  {m['training_seconds']:10.2f}{mark}"
            )
        if b["chosen_over_best_baseline_hit_rate_10"] is not None:
            self.stdout.write(
                f"  {b['chosen']} / {b['best_baseline']} HitRate@10: {b['chosen_over_best_baseline_hit_rate_10']:.2f}x; "
                f"/ popularity: {b['chosen_over_popularity_hit_rate_10']:.2f}x"
            )
