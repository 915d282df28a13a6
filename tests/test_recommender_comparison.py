"""The basket recommenders against strong baselines (#27): basket files in either layout,
the time-aware split, every model on the same split, and the nightly training serving the
one the evaluation chose."""

import json
from datetime import datetime
from functools import cache
from io import StringIO

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from auroramart.recommendations import basket_models, evaluation, registry, services, synthetic
from auroramart.recommendations.datasets import DatasetError, read_baskets_csv

pytestmark = pytest.mark.django_db
BASELINES = ("popularity", "co-occurrence", "item-kNN cosine", "item-kNN Jaccard")
REALISTIC = 60_000  # enough test baskets (about 3,400) to tell the models apart


@cache
def realistic():
    return synthetic.as_baskets(synthetic.generate(REALISTIC))


def test_long_basket_files_are_read_by_order_and_sku_or_name_with_their_dates(tmp_path):
    long = tmp_path / "long.csv"
    long.write_text(
        "Order ID,SKU,Date\n"
        "1001,A,2026-03-02 10:00\n1001,B,2026-03-02 10:00\n1001,A,2026-03-02 10:00\n"
        "1002,C,2026-03-09\n\n1003,A,2026-03-10T08:30:00\n1003,C,2026-03-10T08:30:00\n"
    )
    data = read_baskets_csv(long)
    assert data.items == ["A", "B", "C"]
    assert data.matrix.toarray().tolist() == [[1, 1, 0], [0, 0, 1], [1, 0, 1]]  # A twice is one item
    assert [str(d) for d in data.dates.astype("datetime64[D]")] == ["2026-03-02", "2026-03-09", "2026-03-10"]
    # Public datasets name their columns differently and may have no SKU: the product name serves.
    retail = tmp_path / "retail.csv"
    retail.write_text(
        "InvoiceNo,Description,Quantity\n536365,WHITE LANTERN,6\n536365,RED MUG,2\n536366,RED MUG,1\n"
    )
    data = read_baskets_csv(retail)
    assert data.items == ["WHITE LANTERN", "RED MUG"] and data.dates is None and data.matrix.nnz == 3
    for body, message in [
        ("order_id,sku,date\n1,A,yesterday\n", "line 2: 'yesterday' is not a date"),
        ("order_id,sku\n1,A\n2,\n", "line 3: the order and the item must both be given"),
        ("order_id,sku,date\n1,A\n", "line 2: 2 values, expected at least 3"),
        ("order_id,sku\n", "no baskets"),
        ("A,,B\n1,0,1\n", "or name an order column and a SKU or product column"),
    ]:
        bad = tmp_path / "bad.csv"
        bad.write_text(body)
        with pytest.raises(DatasetError, match=message):
            read_baskets_csv(bad)
    with pytest.raises(CommandError, match="not a date"):
        bad.write_text("order_id,sku,date\n1,A,yesterday\n")
        call_command("evaluate_models", "--only", "baskets", "--baskets-csv", str(bad))


def test_the_time_aware_split_trains_on_the_past_and_tests_on_the_weeks_after():
    data = realistic()
    cutoff = datetime(2026, 9, 1)
    train, test, info = evaluation.time_split(data, cutoff, weeks=2)
    assert train.dates.max() < np.datetime64(cutoff) <= test.dates.min()
    assert test.dates.max() < np.datetime64("2026-09-15")
    assert info == {"kind": "time", "train_until": "2026-09-01", "test_until": "2026-09-15", "test_weeks": 2}
    before = data.dates < np.datetime64(cutoff)
    assert train.matrix.shape[0] == before.sum() and train.matrix.nnz == data.matrix[before].nnz
    # By default: the last four weeks are tested.
    _train, test, info = evaluation.time_split(data)
    assert info["test_weeks"] == 4 and test.matrix.shape[0] > 0
    assert (data.dates.max() - test.dates.min()) <= np.timedelta64(28, "D")


def test_the_chosen_model_beats_every_baseline_on_realistic_baskets(tmp_path):
    """On popularity-skewed baskets with tastes, bundles and noise, the learnt item-item model
    (EASE) is chosen and beats the best baseline, not only popularity, as it is served."""
    path = synthetic.write_csv(tmp_path / "baskets.csv", synthetic.generate(REALISTIC))
    out = StringIO()
    call_command("evaluate_models", "--only", "baskets", "--baskets-csv", str(path), "--json", stdout=out)
    result = json.loads(out.getvalue())["baskets"]
    models = result["models"]
    assert set(models) == {*BASELINES, "associations", "ALS", "EASE"}
    assert result["split"]["kind"] == "time" and models["EASE"]["evaluated"] > 3000
    assert result["chosen"] == "EASE"
    for baseline in [*BASELINES, "ALS"]:  # and the other learnt model, matrix factorisation
        assert models["EASE"]["ndcg_10"] > models[baseline]["ndcg_10"], baseline
        assert models["EASE"]["hit_rate_10"] > models[baseline]["hit_rate_10"], baseline
    assert models["EASE"]["hit_rate_10"] > 2 * models["popularity"]["hit_rate_10"]
    # Serving keeps 30 neighbours per item; that costs (almost) nothing.
    assert result["chosen_as_served"]["ndcg_10"] >= models["EASE"]["ndcg_10"] - 0.005
    assert result["chosen_over_best_baseline_hit_rate_10"] > 1
    assert all(m["training_seconds"] >= 0 for m in models.values())
    assert models["item-kNN cosine"]["coverage"] > models["popularity"]["coverage"]
    # The regularisation was chosen on a validation split of the training baskets.
    assert result["parameters"]["EASE"]["lambda"] in basket_models.EASE_LAMBDAS
    # The same comparison, printed for people.
    out = StringIO()
    call_command("evaluate_models", "--only", "baskets", "--baskets-csv", str(path), stdout=out)
    text = out.getvalue()
    assert "EASE" in text and "<- chosen" in text and "(best baseline)" in text and "trained before" in text


def test_training_serves_the_model_the_time_aware_evaluation_chose():
    record = services.train_association_model(realistic())
    metrics = record.metrics
    assert record.parameters["model"] == metrics["chosen"] == "EASE"
    assert metrics["split"]["kind"] == "time"
    _, model = registry.current("associations")
    assert model.parameters["model"] == "EASE" and model.parameters["lambda"] in basket_models.EASE_LAMBDAS
    # Each item's neighbours are the EASE weights, best first, with the pair's statistics.
    rules = next(r for r in model.rules.values() if len(r) >= 5)
    assert [r.score for r in rules] == sorted((r.score for r in rules), reverse=True)
    assert all(r.score > 0 and 0 <= r.confidence <= 1 for r in rules)
    assert len(rules) <= evaluation.SERVED_NEIGHBOURS
    # An explicit date: trained before it, tested on the weeks after.
    record = services.train_association_model(realistic(), cutoff=datetime(2026, 6, 1), weeks=3)
    assert record.metrics["split"]["train_until"] == "2026-06-01"
    assert record.metrics["split"]["test_until"] == "2026-06-22"


def test_too_little_history_serves_the_default_rules_rather_than_guess():
    """Fewer than 30 test baskets cannot tell the models apart: the rules are served."""
    lines = synthetic.generate(300)
    record = services.train_association_model(synthetic.as_baskets(lines))
    assert record.metrics["models"]["popularity"]["evaluated"] < evaluation.MIN_EVALUATED
    assert record.parameters["model"] == evaluation.DEFAULT_MODEL == "associations"
