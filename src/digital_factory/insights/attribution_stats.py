"""The statistics of attribution, pure: Welch's difference of means with its confidence interval.

Welch's interval: for samples a (before, or the off cohort) and b (after, or the on cohort),

    diff = mean(b) − mean(a)
    se   = sqrt(var(a)/n_a + var(b)/n_b)                      (sample variances, n − 1)
    df   = se⁴ / ((var(a)/n_a)²/(n_a − 1) + (var(b)/n_b)²/(n_b − 1))   (Welch–Satterthwaite)
    CI   = diff ± t(1 − α/2, df) · se

The standard library has no Student's t quantile, so it is taken from the normal quantile by the
Cornish–Fisher expansion (Abramowitz & Stegun 26.7.5), good to about 0.001 for df ≥ 5; below that the
minimum sample size refuses to answer anyway."""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist, fmean, variance

MIN_SAMPLES = 7
"""The fewest samples a side needs before a difference is shown (a week of daily figures)."""
CONFIDENCE = 0.95


def t_quantile(probability: float, df: float) -> float:
    """Student's t quantile at `probability` with `df` degrees of freedom (normal when df is infinite)."""
    z = NormalDist().inv_cdf(probability)
    if math.isinf(df):
        return z
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
    return z + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4


@dataclass(frozen=True)
class Difference:
    """Two samples compared: sizes and means always; the difference and its interval only when both sides
    have at least the minimum sample size (`enough`)."""

    n_a: int
    n_b: int
    mean_a: float | None
    mean_b: float | None
    enough: bool
    difference: float | None = None
    low: float | None = None
    high: float | None = None
    df: float | None = None
    confidence: float = CONFIDENCE

    @property
    def verdict(self) -> str:
        """In words: not enough data, no clear difference (the interval holds 0), higher or lower."""
        if not self.enough or self.low is None or self.high is None:
            return "not enough data"
        if self.low > 0:
            return "higher"
        if self.high < 0:
            return "lower"
        return "no clear difference"


def welch(a: list[float], b: list[float], *, confidence: float = CONFIDENCE, minimum: int = MIN_SAMPLES) -> Difference:
    """b compared with a (b − a) by Welch's t interval; "not enough data" below `minimum` on either side."""
    mean_a = fmean(a) if a else None
    mean_b = fmean(b) if b else None
    if len(a) < max(minimum, 2) or len(b) < max(minimum, 2) or mean_a is None or mean_b is None:
        return Difference(len(a), len(b), mean_a, mean_b, enough=False, confidence=confidence)
    share_a, share_b = variance(a) / len(a), variance(b) / len(b)
    se = math.sqrt(share_a + share_b)
    difference = mean_b - mean_a
    if se == 0:  # both sides constant: the difference is exact
        return Difference(
            len(a), len(b), mean_a, mean_b, True, difference, difference, difference, math.inf, confidence
        )
    df = se**4 / (share_a**2 / (len(a) - 1) + share_b**2 / (len(b) - 1))
    half = t_quantile(1 - (1 - confidence) / 2, df) * se
    return Difference(
        len(a), len(b), mean_a, mean_b, True, difference, difference - half, difference + half, df, confidence
    )
