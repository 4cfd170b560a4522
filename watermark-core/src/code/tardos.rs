//! Tardos statistics: biases, the symmetric score, and bounds on the chance
//! that an innocent recipient scores as high under the null hypothesis.
//!
//! Under the null (code not derived from recipient `r`), `r`'s codeword bits
//! are independent of what was observed, so every score term has mean 0 and
//! variance 1. With bias 1/2 everywhere the score is `2M - N` for `M`
//! matching positions out of `N`, `M ~ Binomial(N, 1/2)` exactly, and the
//! p-value is the exact binomial tail. With other biases a Chernoff bound is
//! used, which is a rigorous upper bound.

use std::f64::consts::LN_10;

use serde::Serialize;

use super::arcsine_table::ARCSINE;

use crate::code::prf::Locator;

/// How position biases `p(l)` are drawn from the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BiasDesign {
    /// `p(l) = 1/2` at every position: the most evidence per position
    /// against one leaker or two colluders, with an exact binomial null.
    Half,
    /// Tardos' arcsine density, for a design coalition of `coalition`
    /// recipients (3 to 6; cutoff 0.01, 0.004, 0.003, 0.002): resists a
    /// majority, minority or any other vote of that many colluders, at the
    /// cost of fewer bits of evidence per position against one leaker.
    Arcsine {
        /// The design coalition size, 3 to 6.
        coalition: u8,
    },
}

impl BiasDesign {
    /// The design for coalitions of up to `c0` recipients: bias 1/2 for
    /// `c0 <= 2`, the arcsine for 3 to 6 (larger values use 6's).
    pub fn for_coalition(c0: u8) -> BiasDesign {
        if c0 <= 2 {
            BiasDesign::Half
        } else {
            BiasDesign::Arcsine {
                coalition: c0.min(6),
            }
        }
    }

    /// The threshold `T` such that the codeword bit is 1 iff a recipient's
    /// 64-bit draw is `< T`, together with the bias `p = T / 2^64`. Integer
    /// table lookups only: bit-reproducible on every machine.
    pub fn bias(self, draw: u64) -> (u64, f64) {
        match self {
            BiasDesign::Half => (1 << 63, 0.5),
            BiasDesign::Arcsine { coalition } => {
                let table = &ARCSINE[usize::from(coalition.clamp(3, 6) - 3)];
                let threshold = table[(draw >> 56) as usize];
                (threshold, threshold as f64 / 2f64.powi(64))
            }
        }
    }
}

/// About how many observed positions trace a coalition of `c` recipients
/// among `n` candidates with a family-wise bound `epsilon` and a 1 % miss
/// rate, under the worst collusion strategy (the table in DESIGN.md):
/// `log2(n / epsilon) + 2` for one leaker (all positions match), and
/// `k_c * c^2 * ln(n / epsilon)` with `k_2 = 2.83`, `k_c = 6` for `c >= 3`
/// (bias 1/2 for `c <= 2`, the arcsine design beyond).
pub fn positions_needed(c: u8, n: u64, epsilon: f64) -> u64 {
    let ln = (n.max(1) as f64 / epsilon.clamp(f64::MIN_POSITIVE, 1.0)).ln();
    let needed = match c {
        0 | 1 => ln / std::f64::consts::LN_2 + 2.0,
        2 => 2.83 * 4.0 * ln,
        c => 6.0 * f64::from(c) * f64::from(c) * ln,
    };
    needed.ceil() as u64
}

/// What a tree with `positions` code positions can trace, among `n`
/// candidates at bound `epsilon`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CapacityPlan {
    /// Positions in the whole tree.
    pub positions: u64,
    /// The largest coalition traced from the whole tree (0: not even one
    /// leaker).
    pub largest_coalition: u8,
    /// The smallest fraction of the tree whose leak by one recipient is
    /// still traced (above 1: not traceable).
    pub smallest_fraction: f64,
}

/// See [`CapacityPlan`]. Coalitions are counted up to 10.
pub fn capacity_plan(positions: u64, n: u64, epsilon: f64) -> CapacityPlan {
    let largest_coalition = (1..=10u8)
        .take_while(|&c| positions_needed(c, n, epsilon) <= positions)
        .last()
        .unwrap_or(0);
    CapacityPlan {
        positions,
        largest_coalition,
        smallest_fraction: positions_needed(1, n, epsilon) as f64 / positions.max(1) as f64,
    }
}

/// One observed code position, unmasked: `y` is the observed codeword bit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Position {
    /// The position's locator.
    pub locator: Locator,
    /// The observed codeword bit (rendered value XOR mask).
    pub y: bool,
    /// Codeword bit is 1 iff a recipient's draw is below this.
    pub threshold: u64,
    /// The bias `p(l)`.
    pub p: f64,
}

/// The symmetric Tardos score term `U(y, x, p)`.
pub fn score_term(y: bool, x: bool, p: f64) -> f64 {
    let up = ((1.0 - p) / p).sqrt();
    let down = (p / (1.0 - p)).sqrt();
    match (y, x) {
        (true, true) => up,
        (true, false) => -down,
        (false, false) => down,
        (false, true) => -up,
    }
}

/// The null distribution of one set of observed positions: gives the
/// (bound on the) probability that an innocent recipient reaches a score.
#[derive(Debug, Clone)]
pub struct NullModel {
    n: u64,
    kind: NullKind,
}

#[derive(Debug, Clone)]
enum NullKind {
    /// All biases 1/2: exact binomial.
    Binomial,
    /// `(lambda, sum of log moment generating functions)` on a grid.
    Chernoff(Vec<(f64, f64)>),
}

impl NullModel {
    /// The null model of these positions.
    pub fn new(positions: &[Position]) -> Self {
        let n = positions.len() as u64;
        if positions.iter().all(|pos| pos.p == 0.5) {
            return NullModel {
                n,
                kind: NullKind::Binomial,
            };
        }
        // Positions with the same bias and observed bit contribute the same
        // term: group them (a design has at most a few hundred biases).
        let mut groups: std::collections::BTreeMap<(u64, bool), (f64, f64)> =
            std::collections::BTreeMap::new();
        for pos in positions {
            groups
                .entry((pos.threshold, pos.y))
                .or_insert((pos.p, 0.0))
                .1 += 1.0;
        }
        const GRID: usize = 160;
        let grid = (0..GRID)
            .map(|j| {
                let lambda = 10f64.powf(-4.0 + 5.5 * j as f64 / (GRID - 1) as f64);
                let log_mgf: f64 = groups
                    .iter()
                    .map(|(&(_, y), &(p, count))| {
                        let (a, b) = (((1.0 - p) / p).sqrt(), (p / (1.0 - p)).sqrt());
                        // Under the null x ~ Bernoulli(p): for y = 1 the term
                        // is +a w.p. p, -b w.p. 1-p; for y = 0, +b w.p. 1-p,
                        // -a w.p. p.
                        count
                            * if y {
                                log_sum_exp(p.ln() + lambda * a, (1.0 - p).ln() - lambda * b)
                            } else {
                                log_sum_exp((1.0 - p).ln() + lambda * b, p.ln() - lambda * a)
                            }
                    })
                    .sum();
                (lambda, log_mgf)
            })
            .collect();
        NullModel {
            n,
            kind: NullKind::Chernoff(grid),
        }
    }

    /// Number of positions.
    pub fn positions(&self) -> u64 {
        self.n
    }

    /// `log10 P(S >= score)` for an innocent recipient: exact for bias 1/2,
    /// a Chernoff upper bound otherwise. Never above 0.
    pub fn log10_tail(&self, score: f64) -> f64 {
        match &self.kind {
            NullKind::Binomial => {
                // S = 2M - N, so M >= (S + N) / 2.
                let m = ((score + self.n as f64) / 2.0 - 1e-9).ceil();
                let m = if m < 0.0 { 0 } else { m as u64 };
                ln_binomial_half_tail(self.n, m) / LN_10
            }
            NullKind::Chernoff(grid) => {
                let best = grid
                    .iter()
                    .map(|&(lambda, log_mgf)| log_mgf - lambda * score)
                    .fold(0.0f64, f64::min);
                best / LN_10
            }
        }
    }

    /// The smallest score whose tail is at most `10^log10_alpha`
    /// (`f64::INFINITY` when no score reaches it with these positions).
    pub fn threshold(&self, log10_alpha: f64) -> f64 {
        match &self.kind {
            NullKind::Binomial => {
                let (mut lo, mut hi) = (0u64, self.n + 1);
                // smallest m with tail(m) <= alpha; tail(n + 1) = 0.
                while lo < hi {
                    let mid = lo + (hi - lo) / 2;
                    if ln_binomial_half_tail(self.n, mid) / LN_10 <= log10_alpha {
                        hi = mid;
                    } else {
                        lo = mid + 1;
                    }
                }
                if lo > self.n {
                    f64::INFINITY
                } else {
                    2.0 * lo as f64 - self.n as f64
                }
            }
            NullKind::Chernoff(_) => {
                let max_score = 1e3 * (self.n as f64 + 1.0);
                if self.log10_tail(max_score) > log10_alpha {
                    return f64::INFINITY;
                }
                let (mut lo, mut hi) = (0.0, max_score);
                for _ in 0..200 {
                    let mid = 0.5 * (lo + hi);
                    if self.log10_tail(mid) <= log10_alpha {
                        hi = mid;
                    } else {
                        lo = mid;
                    }
                }
                hi
            }
        }
    }
}

fn log_sum_exp(a: f64, b: f64) -> f64 {
    let m = a.max(b);
    m + ((a - m).exp() + (b - m).exp()).ln()
}

/// `ln P(X >= m)` for `X ~ Binomial(n, 1/2)`.
pub fn ln_binomial_half_tail(n: u64, m: u64) -> f64 {
    if m == 0 {
        return 0.0;
    }
    if m > n {
        return f64::NEG_INFINITY;
    }
    if 2 * m <= n {
        // The tail is at least 1/2: use the complement by symmetry,
        // P(X >= m) = 1 - P(X <= m - 1) = 1 - P(X >= n - m + 1).
        let other = ln_binomial_half_tail(n, n - m + 1).exp();
        return (1.0 - other).max(f64::MIN_POSITIVE).ln();
    }
    // Terms decrease from k = m on; sum until they stop mattering.
    let ln_half_n = -(n as f64) * std::f64::consts::LN_2;
    let first = ln_choose(n, m) + ln_half_n;
    let mut sum = 1.0; // relative to the first term
    let mut term = 1.0;
    let mut k = m;
    while k < n {
        term *= (n - k) as f64 / (k + 1) as f64;
        sum += term;
        k += 1;
        if term < sum * 1e-17 {
            break;
        }
    }
    first + sum.ln()
}

fn ln_choose(n: u64, k: u64) -> f64 {
    ln_gamma(n as f64 + 1.0) - ln_gamma(k as f64 + 1.0) - ln_gamma((n - k) as f64 + 1.0)
}

/// `ln Γ(x)` for `x > 0` (Lanczos, g = 7, n = 9; relative error ~1e-15).
fn ln_gamma(x: f64) -> f64 {
    const COEF: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = COEF[0];
    let t = x + 7.5;
    for (i, c) in COEF.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact_tail(n: u64, m: u64) -> f64 {
        // Direct sum with f64 binomials (small n only).
        let mut total = 0.0;
        for k in m..=n {
            let mut c = 1.0;
            for i in 0..k {
                c = c * (n - i) as f64 / (i + 1) as f64;
            }
            total += c;
        }
        total / 2f64.powi(n as i32)
    }

    #[test]
    fn binomial_tail_matches_direct_sum() {
        for n in [1u64, 2, 7, 20, 50] {
            for m in 0..=n + 1 {
                let got = ln_binomial_half_tail(n, m).exp();
                let want = exact_tail(n, m);
                assert!(
                    (got - want).abs() <= 1e-12 + 1e-9 * want,
                    "n={n} m={m}: {got} vs {want}"
                );
            }
        }
    }

    #[test]
    fn ln_gamma_on_integers() {
        let mut fact = 1.0f64;
        for k in 1..30 {
            fact *= k as f64;
            assert!((ln_gamma(k as f64 + 1.0) - fact.ln()).abs() < 1e-10, "{k}");
        }
    }

    #[test]
    fn binomial_threshold_is_smallest_score_under_alpha() {
        let positions: Vec<Position> = (0..200)
            .map(|i| Position {
                locator: Locator([i as u8; 16]),
                y: i % 2 == 0,
                threshold: 1 << 63,
                p: 0.5,
            })
            .collect();
        let null = NullModel::new(&positions);
        let alpha = -9.0 - 2.0;
        let t = null.threshold(alpha);
        assert!(null.log10_tail(t) <= alpha);
        assert!(null.log10_tail(t - 2.0) > alpha);
        // M >= 145 of 200: P = 1.1e-10; threshold score 2*145-200 = 90ish.
        assert!((80.0..100.0).contains(&t), "{t}");
    }

    #[test]
    fn chernoff_bounds_the_binomial_from_above() {
        // A design with p = 1/2 given through the Chernoff path must give a
        // bound at least as large as the exact tail.
        let positions: Vec<Position> = (0..300)
            .map(|i| Position {
                locator: Locator([0; 16]),
                y: i % 3 == 0,
                threshold: 1 << 63,
                p: 0.5 + if i == 0 { 1e-12 } else { 0.0 },
            })
            .collect();
        let chernoff = NullModel::new(&positions);
        assert!(matches!(chernoff.kind, NullKind::Chernoff(_)));
        for score in [10.0, 60.0, 120.0] {
            let exact = ln_binomial_half_tail(300, ((score + 300.0) / 2.0) as u64) / LN_10;
            let bound = chernoff.log10_tail(score);
            assert!(
                bound >= exact - 1e-6,
                "score {score}: bound {bound} exact {exact}"
            );
            assert!(
                bound <= exact + 3.0,
                "score {score}: bound {bound} too loose vs {exact}"
            );
        }
    }

    #[test]
    fn score_terms_have_mean_zero_and_unit_variance() {
        for p in [0.01, 0.2, 0.5, 0.9] {
            for y in [false, true] {
                let mean = p * score_term(y, true, p) + (1.0 - p) * score_term(y, false, p);
                let var = p * score_term(y, true, p).powi(2)
                    + (1.0 - p) * score_term(y, false, p).powi(2);
                assert!(
                    mean.abs() < 1e-12 && (var - 1.0).abs() < 1e-12,
                    "p={p} y={y}"
                );
            }
        }
    }

    #[test]
    fn positions_needed_follow_the_design_table() {
        // DESIGN.md, epsilon 1e-9: (c, n, needed) within 10 %.
        for (c, n, table) in [
            (1u8, 100u64, 38u64),
            (1, 10_000, 44),
            (2, 1000, 313),
            (3, 1000, 1468),
            (4, 10_000, 2830),
        ] {
            let got = positions_needed(c, n, 1e-9) as f64;
            assert!(
                (got / table as f64 - 1.0).abs() < 0.1,
                "c {c} n {n}: {got} vs {table}"
            );
        }
        let plan = capacity_plan(1500, 1000, 1e-9);
        assert_eq!(plan.largest_coalition, 3);
        assert!(plan.smallest_fraction < 0.03);
        assert_eq!(capacity_plan(10, 1000, 1e-9).largest_coalition, 0);
    }

    #[test]
    fn arcsine_biases_stay_in_range() {
        for (c, cutoff) in [(3u8, 0.01), (4, 0.004), (5, 0.003), (6, 0.002)] {
            let design = BiasDesign::for_coalition(c);
            let mut mean = 0.0;
            for k in 0..256u64 {
                let (threshold, p) = design.bias(k << 56 | 12345);
                assert!((cutoff..=1.0 - cutoff).contains(&p), "c {c}: {p}");
                assert_eq!(
                    threshold,
                    design.bias(k << 56).0,
                    "only the top byte counts"
                );
                mean += p / 256.0;
            }
            assert!((mean - 0.5).abs() < 1e-9, "symmetric: mean {mean}");
        }
        assert_eq!(BiasDesign::for_coalition(2), BiasDesign::Half);
        assert_eq!(
            BiasDesign::for_coalition(9),
            BiasDesign::Arcsine { coalition: 6 }
        );
        // Pinned values: a change of table changes every watermark.
        assert_eq!(BiasDesign::for_coalition(3).bias(0).0, 194422629893559232);
    }
}
