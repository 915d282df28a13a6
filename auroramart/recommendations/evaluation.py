"""Offline evaluation of the basket recommenders on held-out baskets.

Baskets are split at random (seeded) into training and held-out sets. From each
held-out basket with two or more items one item is hidden; the rest of the
catalogue is ranked from the items left, and we ask where the hidden item
lands: HitRate@k (in the top k), NDCG@10 (one relevant item, so 1/log2(rank+1))
and catalogue coverage (share of items that appear in anyone's top 10)."""

import numpy as np
from scipy import sparse

from .associations import mine
from .datasets import Baskets

SEED = 2108


def split(baskets: Baskets, holdout: float = 0.2, seed: int = SEED) -> tuple[Baskets, Baskets]:
    rng = np.random.default_rng(seed)
    n = baskets.matrix.shape[0]
    order = rng.permutation(n)
    cut = int(round(n * (1 - holdout)))
    pick = lambda idx: Baskets(baskets.matrix[np.sort(idx)], baskets.items, baskets.source)  # noqa: E731
    return pick(order[:cut]), pick(order[cut:])


def leave_one_out(test: Baskets, seed: int = SEED) -> tuple[sparse.csr_matrix, np.ndarray]:
    """(baskets without their hidden item, the hidden item of each) for baskets of 2+ items."""
    rng = np.random.default_rng(seed)
    matrix = test.matrix.tocsr()
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


def _ranks(score_chunk, queries: sparse.csr_matrix, hidden: np.ndarray, shown: set) -> np.ndarray:
    """Rank (1..10, 0 = not in the top 10) of each hidden item, chunk by chunk."""
    ranks = []
    for start in range(0, len(hidden), CHUNK):
        q, h = queries[start : start + CHUNK], hidden[start : start + CHUNK]
        scores = score_chunk(q)
        scores[q.nonzero()] = -np.inf  # never recommend what is already in the basket
        top = np.argsort(-scores, axis=1, kind="stable")[:, :10]
        shown.update(np.unique(top).tolist())
        hits = top == h[:, None]
        ranks.append(np.where(hits.any(axis=1), hits.argmax(axis=1) + 1, 0))
    return np.concatenate(ranks) if ranks else np.zeros(0, dtype=int)


def _metrics(ranks: np.ndarray, shown: set, n_items: int) -> dict:
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


def evaluate_baskets(baskets: Baskets, *, holdout: float = 0.2, **mine_options) -> dict:
    """Associations against popularity on the same held-out baskets."""
    train, test = split(baskets, holdout)
    model = mine(train, **mine_options)
    queries, hidden = leave_one_out(test)
    popularity = model.popularity
    rules = model.score_matrix()
    n = len(baskets.items)
    # Popularity ranks every basket the same way. Associations: the summed
    # confidence of the rules from the items left in the basket; popularity,
    # scaled far below any rule, only orders what no rule reaches.
    pop_shown: set = set()
    pop_ranks = _ranks(lambda q: np.tile(popularity, (q.shape[0], 1)), queries, hidden, pop_shown)
    assoc_shown: set = set()
    assoc_ranks = _ranks(
        lambda q: (q @ rules).toarray() + popularity[None, :] * 1e-6, queries, hidden, assoc_shown
    )
    associations = _metrics(assoc_ranks, assoc_shown, n)
    baseline = _metrics(pop_ranks, pop_shown, n)
    return {
        "associations": associations,
        "popularity": baseline,
        "hit_rate_10_ratio": round(associations["hit_rate_10"] / baseline["hit_rate_10"], 3)
        if baseline["hit_rate_10"]
        else None,
        "train_baskets": int(train.matrix.shape[0]),
        "held_out_baskets": int(test.matrix.shape[0]),
        "items": len(baskets.items),
        "parameters": model.parameters,
    }
