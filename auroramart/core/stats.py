"""Small statistics shared by the dashboards: how much better one rate is than another, with
the uncertainty that a shop's traffic leaves."""

import math

Z_95 = 1.959964  # two-sided 95%


def rate_lift(hits_a: int, trials_a: int, hits_b: int, trials_b: int, z: float = Z_95) -> dict | None:
    """B's rate relative to A's (0.12 = 12% better) with a 95% confidence interval, by the
    log of the ratio of two proportions (Katz). None while either arm has no hits: a ratio to
    nothing is not a measurement."""
    if min(hits_a, hits_b) <= 0 or min(trials_a, trials_b) <= 0:
        return None
    rate_a, rate_b = hits_a / trials_a, hits_b / trials_b
    log_ratio = math.log(rate_b / rate_a)
    spread = z * math.sqrt(1 / hits_a - 1 / trials_a + 1 / hits_b - 1 / trials_b)
    return {
        "lift": rate_b / rate_a - 1,
        "low": math.exp(log_ratio - spread) - 1,
        "high": math.exp(log_ratio + spread) - 1,
        "significant": not (math.exp(log_ratio - spread) <= 1 <= math.exp(log_ratio + spread)),
    }
