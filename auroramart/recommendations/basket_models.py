"""Basket recommenders: the candidates the shop may serve and the baselines they must beat,
behind one interface. Each learns, from a baskets × items 0/1 matrix X, an items × items
weight matrix W; a basket q is scored against every item as q @ W, so "what goes with this
basket" is the sum of what goes with each of its items.

- popularity: how many baskets hold the item; every basket gets the same ranking.
- co-occurrence: W = XᵀX, how many baskets hold both items (plain counts).
- item-kNN, cosine: counts over √(nᵢ·nⱼ); item-kNN, Jaccard: counts over nᵢ + nⱼ − both.
- associations: the rules the shop served first (support, confidence, lift), lift > 1 and
  the 20 best per item (associations.py).
- ALS: implicit-feedback matrix factorisation (Hu, Koren and Volinsky, 2008) from the
  `implicit` library, baskets as users; items are alike when their factors are, W = V Vᵀ.
- EASE (Steck, 2019): a ridge regression of every item on all the others with a zero
  diagonal, solved in closed form, W = −P / diag(P) with P = (XᵀX + λI)⁻¹. It learns that
  an item popular with everyone says little about a basket, which counts cannot; λ is
  chosen on a validation split of the training baskets. Its cost is one n × n inverse,
  so it is fitted on the `EASE_MAX_ITEMS` most bought items (a few seconds on 2 cores).
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import linalg, sparse

from . import associations
from .datasets import Baskets

EASE_LAMBDAS = (5.0, 20.0, 80.0, 320.0)
EASE_MAX_ITEMS = 4000


@dataclass
class ItemItem:
    """A fitted recommender: weights (items × items) and each item's share of baskets."""

    name: str
    weights: sparse.csr_matrix | np.ndarray
    popularity: np.ndarray
    parameters: dict = field(default_factory=dict)
    seconds: float = 0.0

    def score(self, queries: sparse.csr_matrix) -> np.ndarray:
        """queries × items scores; popularity, scaled far below any weight, orders the rest."""
        scored = queries @ self.weights
        scored = scored.toarray() if sparse.issparse(scored) else np.asarray(scored)
        return scored + self.popularity[None, :] * 1e-6

    def neighbours(self, k: int) -> sparse.csr_matrix:
        """Each item's k best positive weights (what is served), as a sparse matrix."""
        return top_k(self.weights, k)


def top_k(weights, k: int, chunk: int = 1024) -> sparse.csr_matrix:
    """Each row's k largest positive entries (rows taken a chunk at a time to bound memory)."""
    parts = []
    for start in range(0, weights.shape[0], chunk):
        block = weights[start : start + chunk]
        dense = block.toarray() if sparse.issparse(block) else np.array(block, dtype=np.float64)
        dense[dense <= 0] = 0
        if k < dense.shape[1]:
            cut = np.argpartition(-dense, k, axis=1)[:, k:]
            np.put_along_axis(dense, cut, 0, axis=1)
        parts.append(sparse.csr_matrix(dense))
    return sparse.vstack(parts, format="csr") if parts else sparse.csr_matrix(weights.shape)


def _counts(matrix: sparse.csr_matrix) -> tuple[np.ndarray, sparse.csr_matrix]:
    x = matrix.tocsc().astype(np.float64)
    together = (x.T @ x).tocsr()
    together.setdiag(0)
    together.eliminate_zeros()
    return np.asarray(x.sum(axis=0)).ravel(), together


def _share(counts: np.ndarray, baskets: int) -> np.ndarray:
    return counts / max(1, baskets)


def fit_popularity(matrix: sparse.csr_matrix) -> ItemItem:
    counts = np.asarray(matrix.sum(axis=0)).ravel()
    n = matrix.shape[1]
    return ItemItem("popularity", sparse.csr_matrix((n, n)), _share(counts, matrix.shape[0]))


def fit_cooccurrence(matrix: sparse.csr_matrix) -> ItemItem:
    counts, together = _counts(matrix)
    return ItemItem("co-occurrence", together, _share(counts, matrix.shape[0]))


def fit_cosine(matrix: sparse.csr_matrix) -> ItemItem:
    counts, together = _counts(matrix)
    coo = together.tocoo()
    data = coo.data / np.sqrt(counts[coo.row] * counts[coo.col])
    weights = sparse.csr_matrix((data, (coo.row, coo.col)), shape=together.shape)
    return ItemItem("item-kNN cosine", weights, _share(counts, matrix.shape[0]))


def fit_jaccard(matrix: sparse.csr_matrix) -> ItemItem:
    counts, together = _counts(matrix)
    coo = together.tocoo()
    data = coo.data / (counts[coo.row] + counts[coo.col] - coo.data)
    weights = sparse.csr_matrix((data, (coo.row, coo.col)), shape=together.shape)
    return ItemItem("item-kNN Jaccard", weights, _share(counts, matrix.shape[0]))


def fit_associations(matrix: sparse.csr_matrix, **options) -> ItemItem:
    items = [str(i) for i in range(matrix.shape[1])]
    model = associations.mine(Baskets(matrix, items, "split"), **options)
    return ItemItem("associations", model.score_matrix(), model.popularity, dict(model.parameters))


NEIGHBOURS = 100  # weights the dense models keep per item, so memory stays bounded on big catalogues


def _ease_weights(matrix: sparse.csr_matrix, lam: float, keep: np.ndarray) -> sparse.csr_matrix:
    x = matrix[:, keep].astype(np.float64)
    gram = (x.T @ x).toarray()
    gram[np.diag_indices_from(gram)] += lam
    inverse = linalg.inv(gram, overwrite_a=True, check_finite=False)
    weights = inverse / -np.diag(inverse)
    np.fill_diagonal(weights, 0)
    pruned = top_k(weights, NEIGHBOURS).tocoo()
    n = matrix.shape[1]
    return sparse.csr_matrix((pruned.data, (keep[pruned.row], keep[pruned.col])), shape=(n, n))


def _factor_similarity(factors: np.ndarray, chunk: int = 1024) -> sparse.csr_matrix:
    """Each item's NEIGHBOURS most similar items by the dot product of their factors."""
    parts = []
    for start in range(0, len(factors), chunk):
        block = factors[start : start + chunk] @ factors.T
        block[np.arange(len(block)), start + np.arange(len(block))] = 0
        parts.append(top_k(block, NEIGHBOURS))
    return sparse.vstack(parts, format="csr") if parts else sparse.csr_matrix((0, 0))


def fit_ease(matrix: sparse.csr_matrix, lam: float | None = None, seed: int = 2108) -> ItemItem:
    counts = np.asarray(matrix.sum(axis=0)).ravel()
    keep = np.flatnonzero(counts)
    if len(keep) > EASE_MAX_ITEMS:
        keep = np.sort(np.argsort(-counts, kind="stable")[:EASE_MAX_ITEMS])
    tried = {}
    if lam is None:  # choose λ on a validation split of these (training) baskets
        from .evaluation import holdout_queries, ranks_of

        fit_part, check_part = random_halves(matrix, 0.2, seed)
        queries, hidden = holdout_queries(check_part, seed)
        for candidate in EASE_LAMBDAS:
            weights = _ease_weights(fit_part, candidate, keep)
            model = ItemItem("ease", weights, _share(counts, matrix.shape[0]))
            tried[candidate] = _ndcg(ranks_of(model.score, queries, hidden, set()))
        lam = max(tried, key=lambda c: (tried[c], -c))
    weights = _ease_weights(matrix, lam, keep)
    return ItemItem(
        "EASE",
        weights,
        _share(counts, matrix.shape[0]),
        {"lambda": lam, "items_fitted": int(len(keep)), "validation_ndcg_10": tried},
    )


def _ndcg(ranks: np.ndarray) -> float:
    if not len(ranks):
        return 0.0
    found = ranks > 0
    return float(np.where(found, 1 / np.log2(np.maximum(ranks, 1) + 1), 0).mean())


def random_halves(matrix: sparse.csr_matrix, share: float, seed: int):
    rng = np.random.default_rng(seed)
    order = rng.permutation(matrix.shape[0])
    cut = int(round(matrix.shape[0] * (1 - share)))
    return matrix[np.sort(order[:cut])], matrix[np.sort(order[cut:])]


ALS_OPTIONS = {"factors": 64, "regularization": 0.05, "alpha": 20.0, "iterations": 15, "random_state": 2108}


def fit_als(matrix: sparse.csr_matrix) -> ItemItem:
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    counts = np.asarray(matrix.sum(axis=0)).ravel()
    with threadpool_limits(1, "blas"):  # implicit runs its own threads; BLAS threads would fight them
        model = AlternatingLeastSquares(**ALS_OPTIONS)
        model.fit(matrix.tocsr().astype(np.float32), show_progress=False)
    weights = _factor_similarity(np.asarray(model.item_factors))
    return ItemItem("ALS", weights, _share(counts, matrix.shape[0]), dict(ALS_OPTIONS))


BASELINES: dict[str, Callable[..., ItemItem]] = {
    "popularity": fit_popularity,
    "co-occurrence": fit_cooccurrence,
    "item-kNN cosine": fit_cosine,
    "item-kNN Jaccard": fit_jaccard,
}
CANDIDATES: dict[str, Callable[..., ItemItem]] = {
    "associations": fit_associations,
    "ALS": fit_als,
    "EASE": fit_ease,
}


def fit(name: str, matrix: sparse.csr_matrix, **options) -> ItemItem:
    """Fit one model by name, timing it (training seconds are part of the comparison).
    Options go to the model that takes them (associations: thresholds; EASE: lam)."""
    started = time.perf_counter()
    model = {**BASELINES, **CANDIDATES}[name](matrix, **options)
    model.name = name
    model.seconds = round(time.perf_counter() - started, 3)
    return model
