//! The tracing pipeline's last step: score every candidate recipient against
//! the evidence and name those the statistics prove, with a bound on the
//! chance of naming an innocent one.

use rayon::prelude::*;
use serde::Serialize;

use crate::code::prf::{Locator, Prf, RecipientPrf};
use crate::code::tardos::{score_term, NullModel, Position};
use crate::embed::CodeParams;
use crate::evidence::Evidence;
use crate::key::OwnerKey;
use crate::recipient::Recipient;

/// Partial sums per candidate score (see `score`).
const LANES: usize = 8;

/// Tracing settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TraceParams {
    /// Must match the tagging run's.
    pub code: CodeParams,
    /// Family-wise bound on the probability of naming any innocent candidate.
    pub epsilon: f64,
    /// Key-derived decoy recipients (whom nobody received) to score for
    /// an empirical p-value beside the analytic one; 0 for none.
    pub decoys: u64,
}

impl Default for TraceParams {
    fn default() -> Self {
        TraceParams {
            code: CodeParams::default(),
            epsilon: 1e-9,
            decoys: 0,
        }
    }
}

/// One candidate's result.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CandidateScore {
    /// The candidate.
    pub recipient: String,
    /// The symmetric Tardos score.
    pub score: f64,
    /// The score above which the candidate is named.
    pub threshold: f64,
    /// Probability that a recipient whose copy this is not reaches this
    /// score (exact for bias 1/2, a Chernoff bound otherwise). Not
    /// corrected for the number of candidates.
    pub p_value: f64,
    /// `log10` of `p_value` (finite even where `p_value` underflows).
    pub log10_p_value: f64,
    /// Empirical p-value: `(1 + decoys scoring at least as high) / (1 +
    /// decoys)`, from [`TraceParams::decoys`] key-derived decoy recipients
    /// (absent without decoys). A check on the analytic value that
    /// assumes nothing; it cannot go below `1 / (1 + decoys)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub empirical_p_value: Option<f64>,
    /// Whether the candidate is named.
    pub accused: bool,
}

/// The outcome of a trace.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Verdict {
    /// Named candidates, highest score first.
    pub accused: Vec<CandidateScore>,
    /// Every candidate, highest score first.
    pub candidates: Vec<CandidateScore>,
    /// Distinct code positions with a majority value.
    pub positions_observed: usize,
    /// Sites read, counting repeats.
    pub sites_observed: u64,
    /// Source files read.
    pub files_scanned: u64,
    /// Family-wise false-accusation bound.
    pub epsilon: f64,
    /// Per-candidate bound `epsilon / n` (Bonferroni), as `log10`.
    pub log10_alpha_per_candidate: f64,
    /// Decoy recipients scored for the empirical p-values.
    pub decoys: u64,
    /// Observed positions per channel.
    pub positions_per_channel: std::collections::BTreeMap<String, usize>,
}

/// Score `candidates` against `evidence`. A candidate is named when the
/// probability that an innocent reaches its score is at most `epsilon / n`
/// for `n` distinct candidates, so the chance of naming any innocent
/// candidate is at most `epsilon`.
pub fn score(
    evidence: &Evidence,
    key: &OwnerKey,
    candidates: &[Recipient],
    params: &TraceParams,
) -> Verdict {
    let prf = Prf::new(key);
    let mut unique: Vec<&Recipient> = candidates.iter().collect();
    unique.sort();
    unique.dedup();
    let positions: Vec<Position> = evidence
        .tallies()
        .filter_map(|(locator, tally)| {
            let rendered = tally.majority()?;
            let (threshold, p) = params.code.design.bias(prf.bias_draw(locator));
            Some(Position {
                locator,
                y: rendered ^ prf.mask(locator),
                threshold,
                p,
            })
        })
        .collect();
    let null = NullModel::new(&positions);
    let n = unique.len().max(1) as f64;
    let log10_alpha = (params.epsilon / n).log10();
    let threshold = null.threshold(log10_alpha);
    // Each position's term is `if_zero` plus, when the candidate's bit is
    // 1, `if_one - if_zero`: the sum of the first parts is the same for
    // every candidate, and the second is a branch-free select per draw.
    let locators: Vec<Locator> = positions.iter().map(|pos| pos.locator).collect();
    let thresholds: Vec<u64> = positions.iter().map(|pos| pos.threshold).collect();
    let (base, deltas): (f64, Vec<f64>) = {
        let mut base = 0.0;
        let deltas = positions
            .iter()
            .map(|pos| {
                let if_zero = score_term(pos.y, false, pos.p);
                base += if_zero;
                score_term(pos.y, true, pos.p) - if_zero
            })
            .collect();
        (base, deltas)
    };
    let score_of = |codeword: &RecipientPrf| -> f64 {
        // Independent partial sums, so the additions need not wait on
        // each other; a fixed order, so the score is reproducible.
        let mut lanes = [0.0f64; LANES];
        codeword.draws(&locators, |start, draws| {
            let thresholds = &thresholds[start..start + draws.len()];
            let deltas = &deltas[start..start + draws.len()];
            // Sums in registers for the batch, added to `lanes` once.
            let mut batch = [0.0f64; LANES];
            for ((draws, thresholds), deltas) in draws
                .chunks(LANES)
                .zip(thresholds.chunks(LANES))
                .zip(deltas.chunks(LANES))
            {
                for (lane, ((draw, threshold), delta)) in
                    draws.iter().zip(thresholds).zip(deltas).enumerate()
                {
                    // `delta` or +0.0, selected as integer bits: a select
                    // of floats becomes a branch, which half of the draws
                    // would mispredict; an unpredictable integer select
                    // stays a conditional move.
                    let bits =
                        std::hint::select_unpredictable(draw < threshold, delta.to_bits(), 0);
                    batch[lane] += f64::from_bits(bits);
                }
            }
            for (lane, sum) in lanes.iter_mut().zip(batch) {
                *lane += sum;
            }
        });
        base + lanes.iter().sum::<f64>()
    };
    let mut decoy_scores: Vec<f64> = (0..params.decoys)
        .into_par_iter()
        .map(|i| score_of(&prf.decoy(i)))
        .collect();
    decoy_scores.sort_by(f64::total_cmp);
    let mut per_channel = std::collections::BTreeMap::new();
    for (_, tally) in evidence.tallies() {
        if tally.majority().is_some() {
            *per_channel
                .entry(tally.channel.name().to_owned())
                .or_insert(0) += 1;
        }
    }
    let mut scored: Vec<CandidateScore> = unique
        .par_iter()
        .map(|recipient| {
            let score = score_of(&prf.recipient(recipient));
            let empirical_p_value = (params.decoys > 0).then(|| {
                let at_least = decoy_scores.len() - decoy_scores.partition_point(|&d| d < score);
                (1 + at_least) as f64 / (1 + decoy_scores.len()) as f64
            });
            let log10_p_value = null.log10_tail(score);
            CandidateScore {
                recipient: recipient.as_str().to_owned(),
                score,
                threshold,
                p_value: 10f64.powf(log10_p_value),
                log10_p_value,
                empirical_p_value,
                accused: log10_p_value <= log10_alpha,
            }
        })
        .collect();
    scored.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.recipient.cmp(&b.recipient))
    });
    Verdict {
        accused: scored.iter().filter(|c| c.accused).cloned().collect(),
        candidates: scored,
        positions_observed: positions.len(),
        sites_observed: evidence.sites_observed(),
        files_scanned: evidence.files_scanned(),
        epsilon: params.epsilon,
        log10_alpha_per_candidate: log10_alpha,
        decoys: params.decoys,
        positions_per_channel: per_channel,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::ChannelId;
    use crate::code::tardos::BiasDesign;

    /// The batched, branch-free score equals the plain sum of
    /// `score_term` over positions, for both bias designs and a count of
    /// positions that ends in a partial batch.
    #[test]
    fn fast_score_equals_the_plain_sum() {
        let key = OwnerKey::from_seed([9; 32]);
        let prf = Prf::new(&key);
        let mut evidence = Evidence::new();
        for i in 0u64..1_000 {
            let mut bytes = [0u8; 16];
            bytes[..8].copy_from_slice(&i.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes());
            evidence.record(ChannelId::BlankLines, Locator(bytes), i % 3 == 0);
        }
        let candidates: Vec<Recipient> = (0..20)
            .map(|i| Recipient::new(&format!("r{i}")).expect("valid id"))
            .collect();
        for design in [BiasDesign::Half, BiasDesign::Arcsine { coalition: 3 }] {
            let params = TraceParams {
                code: CodeParams {
                    design,
                    ..CodeParams::default()
                },
                ..TraceParams::default()
            };
            let verdict = score(&evidence, &key, &candidates, &params);
            assert_eq!(verdict.positions_observed, 1_000);
            for candidate in &verdict.candidates {
                let codeword = prf.recipient(&Recipient::new(&candidate.recipient).expect("id"));
                let plain: f64 = evidence
                    .tallies()
                    .map(|(locator, tally)| {
                        let y = tally.majority().expect("one read each") ^ prf.mask(locator);
                        let (threshold, p) = design.bias(prf.bias_draw(locator));
                        score_term(y, codeword.draw(locator) < threshold, p)
                    })
                    .sum();
                assert!(
                    (candidate.score - plain).abs() <= 1e-9 * plain.abs().max(1.0),
                    "{design:?} {}: {} != {plain}",
                    candidate.recipient,
                    candidate.score
                );
            }
        }
    }
}
