"""Offline evaluation of the basket recommenders, every model on the same split.

Two splits. Time-aware (the shop's orders, or any file with dates): train on the baskets
bought before a date, test on those of the weeks after it, as the model will be used.
Random (a file without dates): 20% of baskets held out, seeded. From each test basket with
two or more items one item is hidden; the rest of the catalogue is ranked from the items
left, and we ask where the hidden item lands: HitRate@k (in the top k), NDCG@10 (one
relevant item, so 1/log2(rank+1)) and catalogue coverage (share of items that appear in
anyone's top 10). Items already in the basket are never recommended."""

import numpy as np
from scipy import sparse

from . import basket_models
from .datasets import Baskets

SEED = 2108
TEST_WEEKS = 4
SERVED_NEIGHBOURS = 30  # rules kept per item in the served model


def _rows(baskets: Baskets, idx) -> Baskets:
    idx = np.sort(np.asarray(idx, dtype=np.int64))
    dates = baskets.dates[idx] if baskets.dates is not None else None
    return Baskets(baskets.matrix[idx], baskets.items, baskets.source, dates)


def split(baskets: Baskets, holdout: float = 0.2, seed: int = SEED) -> tuple[Baskets, Baskets]:
    rng = np.random.default_rng(seed)
    n = baskets.matrix.shape[0]
    order = rng.permutation(n)
    cut = int(round(n * (1 - holdout)))
    return _rows(baskets, order[:cut]), _rows(baskets, order[cut:])


def time_split(baskets: Baskets, cutoff=None, weeks: int = TEST_WEEKS) -> tuple[Baskets, Baskets, dict]:
    """Train before `cutoff`, test on the `weeks` after it. Without a cutoff: the last `weeks`
    of orders, unless that leaves too few baskets on one side (then the newest 20% are tested)."""
    dates = baskets.dates
    newest = dates.max()
    if cutoff is None:
        cutoff = newest - np.timedelta64(weeks * 7, "D")
        before = int((dates < cutoff).sum())
        if not 0.5 <= before / len(dates) <= 0.95:
            cutoff = np.sort(dates)[int(len(dates) * 0.8)]
    cutoff = np.datetime64(cutoff, "s")
    end = cutoff + np.timedelta64(weeks * 7, "D")
    train = np.flatnonzero(dates < cutoff)
    test = np.flatnonzero((dates >= cutoff) & (dates < end))
    info = {
        "kind": "time",
        "train_until": str(cutoff.astype("datetime64[D]")),
        "test_until": str(min(end, newest + np.timedelta64(1, "D")).astype("datetime64[D]")),
        "test_weeks": weeks,
    }
    return _rows(baskets, train), _rows(baskets, test), info


def holdout_queries(test: sparse.csr_matrix, seed: int = SEED) -> tuple[sparse.csr_matrix, np.ndarray]:
    """(baskets without their hidden item, the hidden item of each) for baskets of 2+ items."""
    rng = np.random.default_rng(seed)
    matrix = test.tocsr()
    sizes = np.diff(matrix.indptr)
    rows = np.flatnonzero(sizes >= 2)
    queries = matrix[rows].tolil(copy=True)
    hidden = np.empty(len(rows), dtype=np.int64)
    for i, r in enumerate(rows):
        items = matrix.indices[matrix.indptr[r] : matrix.indptr[r + 1]]
        hidden[i] = items[rng.integers(len(items))]
        queries[i, hidden[i]] = 0
    return queries.tocsr(), hidden


CHUNK = 2000  # held-out baskets ranked at a time, to bound memory on large catalogues


def ranks_of(score, queries: sparse.csr_matrix, hidden: np.ndarray, shown: set) -> np.ndarray:
    """Rank (1..10, 0 = not in the top 10) of each hidden item, chunk by chunk."""
    ranks = []
    for start in range(0, len(hidden), CHUNK):
        q, h = queries[start : start + CHUNK], hidden[start : start + CHUNK]
        scores = np.array(score(q), dtype=np.float64)
        scores[q.nonzero()] = -np.inf  # never recommend what is already in the basket
        top = np.argsort(-scores, axis=1, kind="stable")[:, :10]
        shown.update(np.unique(top).tolist())
        hits = top == h[:, None]
        ranks.append(np.where(hits.any(axis=1), hits.argmax(axis=1) + 1, 0))
    return np.concatenate(ranks) if ranks else np.zeros(0, dtype=int)


def metrics(ranks: np.ndarray, shown: set, n_items: int) -> dict:
    if not len(ranks):
        return {"hit_rate_5": 0.0, "hit_rate_10": 0.0, "ndcg_10": 0.0, "coverage": 0.0, "evaluated": 0}
    gains = np.zeros(len(ranks))
    found = ranks > 0
    gains[found] = 1 / np.log2(ranks[found] + 1)
    return {
        "hit_rate_5": round(float((found & (ranks <= 5)).mean()), 4),
        "hit_rate_10": round(float(found.mean()), 4),
        "ndcg_10": round(float(gains.mean()), 4),
        "coverage": round(len(shown) / n_items, 4) if n_items else 0.0,
        "evaluated": int(len(ranks)),
    }


def _score(model: basket_models.ItemItem, queries, hidden, n_items: int) -> dict:
    shown: set = set()
    ranks = ranks_of(model.score, queries, hidden, shown)
    return {**metrics(ranks, shown, n_items), "training_seconds": model.seconds}


MIN_EVALUATED = 30  # fewer test baskets than this cannot tell the models apart
DEFAULT_MODEL = "associations"  # served until there is enough history to choose


def choose(models: dict) -> str:
    """The best model by NDCG@10, then HitRate@10, on enough test baskets; otherwise the
    default (rules need the least data and explain themselves)."""
    if min((m["evaluated"] for m in models.values()), default=0) < MIN_EVALUATED:
        return DEFAULT_MODEL
    ranked = sorted(
        (name for name in models if name != "popularity"),
        key=lambda name: (-models[name]["ndcg_10"], -models[name]["hit_rate_10"], name),
    )
    best = ranked[0] if ranked else "popularity"
    return best if models.get(best, {}).get("ndcg_10", 0) > 0 else "popularity"


def compare(
    baskets: Baskets, *, cutoff=None, weeks: int = TEST_WEEKS, holdout: float = 0.2, **association_options
) -> dict:
    """Every model and baseline on one split: time-aware where the baskets have dates."""
    if baskets.dates is not None and len(baskets.dates):
        train, test, info = time_split(baskets, cutoff, weeks)
    else:
        train, test = split(baskets, holdout)
        info = {"kind": "random", "held_out_share": holdout, "seed": SEED}
    queries, hidden = holdout_queries(test.matrix)
    n = len(baskets.items)
    models, parameters, fitted = {}, {}, {}
    for name in [*basket_models.BASELINES, *basket_models.CANDIDATES]:
        options = association_options if name == "associations" else {}
        model = basket_models.fit(name, train.matrix, **options)
        models[name] = _score(model, queries, hidden, n)
        parameters[name] = model.parameters
        fitted[name] = model
    chosen = choose(models)
    baselines = [name for name in basket_models.BASELINES if name in models]
    best_baseline = max(baselines, key=lambda name: (models[name]["ndcg_10"], models[name]["hit_rate_10"]))
    result = {
        "split": info,
        "models": models,
        "parameters": parameters,
        "chosen": chosen,
        "best_baseline": best_baseline,
        "train_baskets": int(train.matrix.shape[0]),
        "held_out_baskets": int(test.matrix.shape[0]),
        "items": n,
    }
    if chosen not in ("popularity", "associations"):
        # The shop serves the chosen model's SERVED_NEIGHBOURS best per item: scored so, too.
        model = fitted[chosen]
        pruned = basket_models.ItemItem(
            chosen, model.neighbours(SERVED_NEIGHBOURS), model.popularity, seconds=model.seconds
        )
        result["chosen_as_served"] = _score(pruned, queries, hidden, n)
    return result


def lift_over(result: dict, baseline: str, metric: str = "hit_rate_10") -> float | None:
    base = result["models"][baseline][metric]
    return round(result["models"][result["chosen"]][metric] / base, 3) if base else None
