"""The cold-start classifier: the eight demographic fields → preferred category.

Candidates are compared by repeated stratified k-fold cross-validation on the
same folds; the reference is the original design's depth-5 decision tree on
one-hot features, so the chosen model is never worse than it on those folds."""

from collections import Counter

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import RepeatedStratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier

from .datasets import CATEGORICAL, NUMERIC, Customers, DatasetError

REFERENCE = "tree_depth_5"
SEED = 2108
MIN_PER_CLASS = 2


def _matrix(rows: list[dict]) -> np.ndarray:
    # Columns: the categorical fields as strings, then the numeric ones.
    return np.array([[r[c] for c in CATEGORICAL] + [r[n] for n in NUMERIC] for r in rows], dtype=object)


def _pipeline(estimator, scale: bool = False) -> Pipeline:
    cat = list(range(len(CATEGORICAL)))
    num = list(range(len(CATEGORICAL), len(CATEGORICAL) + len(NUMERIC)))
    encode = ColumnTransformer(
        [
            ("onehot", OneHotEncoder(handle_unknown="ignore"), cat),
            ("numbers", StandardScaler() if scale else "passthrough", num),
        ]
    )
    return Pipeline([("features", encode), ("model", estimator)])


def candidates() -> dict:
    """The models compared; the reference first so ties keep it."""
    return {
        REFERENCE: _pipeline(DecisionTreeClassifier(max_depth=5, random_state=SEED)),
        "tree_depth_3": _pipeline(DecisionTreeClassifier(max_depth=3, random_state=SEED)),
        "tree_depth_8": _pipeline(DecisionTreeClassifier(max_depth=8, min_samples_leaf=2, random_state=SEED)),
        "random_forest": _pipeline(
            RandomForestClassifier(n_estimators=150, max_depth=6, min_samples_leaf=2, random_state=SEED)
        ),
        "logistic_regression": _pipeline(LogisticRegression(max_iter=2000, C=0.5), scale=True),
    }


def _usable(data: Customers) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Drop classes too rare to stratify; refuse data that cannot be learnt from."""
    counts = Counter(data.labels)
    keep = [i for i, label in enumerate(data.labels) if counts[label] >= MIN_PER_CLASS]
    dropped = sorted(label for label, n in counts.items() if n < MIN_PER_CLASS)
    y = np.array([data.labels[i] for i in keep])
    if len(set(y)) < 2:
        raise DatasetError(
            f"{data.source}: at least two categories with {MIN_PER_CLASS}+ customers each are needed to train."
        )
    return _matrix([data.rows[i] for i in keep]), y, dropped


def folds_for(y: np.ndarray, repeats: int = 3) -> RepeatedStratifiedKFold:
    splits = max(2, min(5, min(Counter(y.tolist()).values())))
    return RepeatedStratifiedKFold(n_splits=splits, n_repeats=repeats, random_state=SEED)


def cross_validate(data: Customers, repeats: int = 3, names=None) -> dict:
    """Accuracy and macro-F1 of every candidate and the majority baseline on the same folds."""
    X, y, dropped = _usable(data)
    folds = folds_for(y, repeats)
    models = candidates()
    if names:
        models = {n: m for n, m in models.items() if n in names}
    models["majority_baseline"] = DummyClassifier(strategy="most_frequent")
    scores = {name: {"accuracy": [], "macro_f1": []} for name in models}
    for train, test in folds.split(X, y):
        for name, model in models.items():
            model.fit(X[train], y[train])
            predicted = model.predict(X[test])
            scores[name]["accuracy"].append(accuracy_score(y[test], predicted))
            scores[name]["macro_f1"].append(f1_score(y[test], predicted, average="macro", zero_division=0))
    summary = {
        name: {
            "accuracy": round(float(np.mean(s["accuracy"])), 4),
            "accuracy_std": round(float(np.std(s["accuracy"])), 4),
            "macro_f1": round(float(np.mean(s["macro_f1"])), 4),
            "macro_f1_std": round(float(np.std(s["macro_f1"])), 4),
        }
        for name, s in scores.items()
    }
    return {
        "models": summary,
        "folds": {"splits": folds.cvargs["n_splits"], "repeats": repeats, "seed": SEED},
        "customers": int(len(y)),
        "classes": sorted(set(y.tolist())),
        "dropped_classes": dropped,
    }


def choose(cv: dict) -> str:
    """The candidate with the best mean accuracy (macro-F1 breaks ties; the reference wins a full tie)."""
    ranked = [(s["accuracy"], s["macro_f1"], -i, name) for i, (name, s) in enumerate(cv["models"].items())]
    ranked = [r for r in ranked if r[3] != "majority_baseline"]
    return max(ranked)[3]


def train(data: Customers, repeats: int = 3) -> tuple[Pipeline, dict]:
    """Cross-validate, pick, refit the chosen model on everything; returns (model, metrics)."""
    cv = cross_validate(data, repeats)
    chosen = choose(cv)
    X, y, _ = _usable(data)
    model = candidates()[chosen].fit(X, y)
    metrics = {
        "chosen": chosen,
        "reference": REFERENCE,
        "chosen_scores": cv["models"][chosen],
        "reference_scores": cv["models"][REFERENCE],
        "majority_baseline": cv["models"]["majority_baseline"],
        **cv,
    }
    return model, metrics


def predict_top(model: Pipeline, row: dict, k: int = 3) -> list[dict]:
    probabilities = model.predict_proba(_matrix([row]))[0]
    order = np.argsort(-probabilities, kind="stable")[:k]
    return [
        {"category": str(model.classes_[i]), "probability": round(float(probabilities[i]), 4)}
        for i in order
        if probabilities[i] > 0
    ]
