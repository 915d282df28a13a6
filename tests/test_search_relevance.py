"""Search relevance in CI (#27): the graded relevance set (search/relevance.py, at least 150
queries of twelve kinds) on the demo catalogue, on whichever database the suite runs on.
P@1 and NDCG@10 per kind are printed and compared with the floors in
search_relevance_floors.json: a drop of more than the tolerance fails the run."""

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from auroramart.search import relevance

pytestmark = pytest.mark.django_db
FLOORS = json.loads((Path(__file__).parent / "search_relevance_floors.json").read_text())
TOLERANCE = 0.02  # a drop of more than this below the recorded figure fails


def test_relevance_set_holds_its_scores_on_the_demo_catalogue(capsys):
    call_command(
        "create_sample_data",
        "--products",
        "500",
        "--customers",
        "10",
        "--orders",
        "0",
        "--images",
        "0",
        "--no-progress",
        "--analytics-days",
        "0",
    )
    items = relevance.catalogue()
    cases = relevance.build(items)
    assert len(cases) >= 150
    kinds = {c.kind for c in cases}
    assert kinds == set(relevance.KINDS)
    assert all(sum(c.kind == k for c in cases) >= 10 for k in kinds)
    result = relevance.evaluate(cases, items)
    floors = FLOORS[connection.vendor]
    with capsys.disabled():
        print(f"\nsearch relevance on {connection.vendor}: {result['all']['queries']} queries")
        for kind, row in [*result["kinds"].items(), ("all", result["all"])]:
            print(f"  {kind:22} P@1 {row['p_at_1']:.3f}  NDCG@10 {row['ndcg_10']:.3f}")
        for miss in result["misses"]:
            print("   not first:", miss)
    dropped = [
        (kind, metric, row[metric], floors[kind][metric])
        for kind, row in [*result["kinds"].items(), ("all", result["all"])]
        for metric in ("p_at_1", "ndcg_10")
        if row[metric] < floors[kind][metric] - TOLERANCE
    ]
    assert not dropped, f"search relevance dropped: {dropped}"
