"""Item-to-item association rules from order baskets, by sparse co-occurrence
counts: for a rule A → B, support = P(A and B), confidence = P(B | A) and
lift = confidence / P(B). Only rules with lift above 1 (B is more likely with A
than without) and seen in at least `min_pair_baskets` baskets are kept; each
item keeps its `top_k` best rules by confidence, then lift."""

from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from .datasets import Baskets


@dataclass
class Rule:
    item: str
    support: float
    confidence: float
    lift: float
    score: float | None = None  # the serving model's weight; None: ranked by confidence

    @property
    def weight(self) -> float:
        return self.confidence if self.score is None else self.score

    @property
    def bought_together(self) -> bool:
        """Seen together, and more often than chance: what "frequently bought together" claims."""
        return self.confidence > 0 and self.lift > 1


@dataclass
class AssociationModel:
    items: list[str]  # SKU of each column
    popularity: np.ndarray  # share of baskets holding each item
    rules: dict[str, list[Rule]] = field(default_factory=dict)
    parameters: dict = field(default_factory=dict)

    def related(self, sku: str, k: int = 10) -> list[Rule]:
        return self.rules.get(sku, [])[:k]

    def score_matrix(self) -> sparse.csr_matrix:
        """items × items confidence of the kept rules, for ranking a whole basket at once."""
        index = {sku: i for i, sku in enumerate(self.items)}
        rows, cols, vals = [], [], []
        for sku, rules in self.rules.items():
            for rule in rules:
                rows.append(index[sku])
                cols.append(index[rule.item])
                vals.append(rule.weight)
        n = len(self.items)
        return sparse.csr_matrix((vals, (rows, cols)), shape=(n, n), dtype=np.float64)


def mine(
    baskets: Baskets, *, min_pair_baskets: int = 3, min_lift: float = 1.0, top_k: int = 20
) -> AssociationModel:
    matrix = baskets.matrix.tocsc().astype(np.float32)
    n_baskets = max(1, matrix.shape[0])
    item_counts = np.asarray(matrix.sum(axis=0)).ravel()
    co = (matrix.T @ matrix).tocoo()  # items × items co-occurrence counts
    keep = (co.row != co.col) & (co.data >= min_pair_baskets)
    a, b, together = co.row[keep], co.col[keep], co.data[keep].astype(np.float64)
    support = together / n_baskets
    confidence = together / item_counts[a]
    lift = confidence / (item_counts[b] / n_baskets)
    served = lift > min_lift
    a, b, support, confidence, lift = a[served], b[served], support[served], confidence[served], lift[served]
    # Best first within each item: sort by item, then confidence, then lift, descending.
    order = np.lexsort((-lift, -confidence, a))
    rules: dict[str, list[Rule]] = {}
    for i in order:
        bucket = rules.setdefault(baskets.items[a[i]], [])
        if len(bucket) < top_k:
            bucket.append(
                Rule(
                    baskets.items[b[i]],
                    round(float(support[i]), 6),
                    round(float(confidence[i]), 6),
                    round(float(lift[i]), 4),
                )
            )
    return AssociationModel(
        items=list(baskets.items),
        popularity=item_counts / n_baskets,
        rules=rules,
        parameters={"min_pair_baskets": min_pair_baskets, "min_lift": min_lift, "top_k": top_k},
    )


def from_weights(
    baskets: Baskets, weights: sparse.csr_matrix, *, top_k: int, parameters: dict
) -> AssociationModel:
    """The served model from any recommender's items × items weights: each item's `top_k`
    positive weights, best first, with the pair's support, confidence and lift."""
    matrix = baskets.matrix.tocsc().astype(np.float64)
    n_baskets = max(1, matrix.shape[0])
    counts = np.asarray(matrix.sum(axis=0)).ravel()
    together = (matrix.T @ matrix).tocsr()
    weights = weights.tocsr()
    rules: dict[str, list[Rule]] = {}
    for a in range(weights.shape[0]):
        start, end = weights.indptr[a], weights.indptr[a + 1]
        cols, vals = weights.indices[start:end], weights.data[start:end]
        keep = vals > 0
        cols, vals = cols[keep], vals[keep]
        if not len(cols):
            continue
        order = np.lexsort((cols, -vals))[:top_k]
        both = np.asarray(together[a, cols[order]].todense()).ravel()
        bucket = []
        for b, w, pair in zip(cols[order], vals[order], both, strict=True):
            confidence = pair / counts[a] if counts[a] else 0.0
            lift = confidence / (counts[b] / n_baskets) if counts[b] else 0.0
            bucket.append(
                Rule(
                    baskets.items[b],
                    round(float(pair / n_baskets), 6),
                    round(float(confidence), 6),
                    round(float(lift), 4),
                    round(float(w), 6),
                )
            )
        rules[baskets.items[a]] = bucket
    return AssociationModel(
        items=list(baskets.items),
        popularity=counts / n_baskets,
        rules=rules,
        parameters={**parameters, "top_k": top_k},
    )
