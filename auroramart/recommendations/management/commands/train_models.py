from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from auroramart.recommendations import registry, services
from auroramart.recommendations.datasets import DatasetError, read_baskets_csv, read_customers_csv
from auroramart.recommendations.models import ModelVersion


class Command(BaseCommand):
    help = (
        "Train the preferred-category classifier and the frequently-bought-together rules, from the "
        "shop's data or from AuroraMart CSV files, and re-predict every customer's categories."
    )

    def add_arguments(self, parser):
        parser.add_argument("--customers-csv", help="train the category model from this customers file")
        parser.add_argument(
            "--baskets-csv", help="train the associations from this baskets file (0/1 per SKU)"
        )
        parser.add_argument("--only", choices=["category", "associations"], help="train just one model")
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help="only train kinds with no loadable model (used by make run)",
        )
        parser.add_argument(
            "--no-repredict", action="store_true", help="leave customers' predictions as they are"
        )
        parser.add_argument(
            "--min-pair-baskets", type=int, default=services.ASSOCIATION_OPTIONS["min_pair_baskets"]
        )

    def handle(self, *args, **options):
        kinds = [options["only"]] if options["only"] else ["category", "associations"]
        if options["if_missing"]:  # no version yet, or its file is gone
            kinds = [k for k in kinds if registry.current(k)[1] is None]
        steps = [*kinds, *([] if options["no_repredict"] or "category" not in kinds else ["repredict"])]
        # A new, empty shop has nothing to learn from yet; popularity serves meanwhile.
        tolerant = options["if_missing"] and not (options["customers_csv"] or options["baskets_csv"])
        trained = []
        with tqdm(total=len(steps), desc="training", unit="step", disable=options["verbosity"] == 0) as bar:
            for step in steps:
                bar.set_postfix_str(step)
                try:
                    trained += self._train(step, options)
                except (DatasetError, OSError) as exc:
                    if not tolerant:
                        raise CommandError(str(exc)) from None
                    self.stdout.write(f"Not trained yet ({exc}); serving popularity until there is data.")
                bar.update()
        for record in trained:
            self.stdout.write(self.style.SUCCESS(f"{record.version}: {summary(record)}"))
        if not steps:
            self.stdout.write("Models already trained; nothing to do.")

    def _train(self, step, options) -> list[ModelVersion]:
        if step == "category":
            data = read_customers_csv(options["customers_csv"]) if options["customers_csv"] else None
            return [services.train_category_model(data)]
        if step == "associations":
            data = read_baskets_csv(options["baskets_csv"]) if options["baskets_csv"] else None
            return [services.train_association_model(data, min_pair_baskets=options["min_pair_baskets"])]
        changed = services.repredict_all()
        self.stdout.write(f"Re-predicted categories: {changed} customer profiles changed.")
        return []


def summary(record: ModelVersion) -> str:
    m = record.metrics
    if record.kind == ModelVersion.Kind.CATEGORY:
        return (
            f"{m['chosen']} chosen on {m['customers']} customers; accuracy {m['chosen_scores']['accuracy']:.3f} "
            f"(reference tree {m['reference_scores']['accuracy']:.3f}, majority {m['majority_baseline']['accuracy']:.3f}) "
            f"in {record.training_seconds:.1f}s"
        )
    chosen, best = m["models"][m["chosen"]], m["models"][m["best_baseline"]]
    return (
        f"{m['chosen']} chosen ({record.data_size.get('rules', 0)} rules from {record.data_size['baskets']} "
        f"baskets); NDCG@10 {chosen['ndcg_10']:.3f}, HitRate@10 {chosen['hit_rate_10']:.3f} vs best baseline "
        f"{m['best_baseline']} {best['ndcg_10']:.3f} / {best['hit_rate_10']:.3f} in {record.training_seconds:.1f}s"
    )
