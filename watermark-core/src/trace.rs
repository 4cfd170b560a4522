//! The tracing pipeline's last step: score every candidate recipient against
//! the evidence and name those the statistics prove, with a bound on the
//! chance of naming an innocent one.

use rayon::prelude::*;
use serde::Serialize;

use crate::code::prf::{Locator, Prf, RecipientPrf};
use crate::code::tardos::{score_term, NullModel, Position};
use crate::embed::CodeParams;
use crate::evidence::{add_reads, majority, Evidence};
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
    /// Look at the files tagging edits and at each file alone too, besides
    /// all files together (see [`score`]); `false` for the single plain
    /// test over all files.
    pub per_file_looks: bool,
}

impl Default for TraceParams {
    fn default() -> Self {
        TraceParams {
            code: CodeParams::default(),
            epsilon: 1e-9,
            decoys: 0,
            per_file_looks: true,
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
    /// The look whose evidence counts ([`Verdict::looks`]): `score`,
    /// `threshold` and the p-values are that look's, the p-values divided
    /// by the look's share of the bound.
    pub look: String,
    /// Positions in that look (of [`Verdict::positions_observed`] over
    /// all files): a candidate named in one file is shown to be the source
    /// of that file's code, not necessarily of the rest.
    pub look_positions: usize,
}

/// The outcome of a trace.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Verdict {
    /// Named candidates, strongest evidence (smallest p-value) first.
    pub accused: Vec<CandidateScore>,
    /// Every candidate, strongest evidence first.
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
    /// The looks at the evidence, each a test of its own: "all files",
    /// "files tagging edits" (when some file is generated or reads its own
    /// line numbers), then each file by name (when there are several);
    /// looks that see the same positions counted once.
    pub looks: Vec<String>,
}

/// Score `candidates` against `evidence`. A candidate is named when the
/// probability that an innocent reaches its score is at most `epsilon / n`
/// for `n` distinct candidates, so the chance of naming any innocent
/// candidate is at most `epsilon`.
///
/// The evidence is looked at in several ways ([`Verdict::looks`]): all
/// files together; only the files tagging edits (leaving out generated
/// files and files that read their own line numbers, which every copy
/// carries as the original had them); and each file alone. A copy's files
/// mixed into a larger body of unrelated code are then found where they
/// are, instead of drowned by it. The bound is shared out between the
/// looks (a weighted Bonferroni correction): all files get [`WEIGHT_ALL`]
/// of it, the files tagging edits and the single files the rest, half
/// each (the single files in equal parts). Each candidate counts its best
/// look, that look's p-value divided by its share, so the bound holds
/// whichever look names it. Which looks there are depends on the suspect
/// alone, never on a codeword; a suspect read as a single file has one
/// look and the plain test.
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
    let plan = Plan::new(evidence, &prf, params);
    let n = unique.len().max(1) as f64;
    let log10_alpha = (params.epsilon / n).log10();
    let scorer = Scorer::new(&plan, log10_alpha);
    let mut decoys: Vec<Scored> = (0..params.decoys)
        .into_par_iter()
        .map(|i| scorer.evaluate(&prf.decoy(i)))
        .collect();
    decoys.sort_by(|a, b| a.log10_p.total_cmp(&b.log10_p));
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
            let found = scorer.evaluate(&prf.recipient(recipient));
            let empirical_p_value = (params.decoys > 0).then(|| {
                // Decoys at least as extreme: a smaller p-value, or the
                // same one and a score as high.
                let at_least = decoys
                    .iter()
                    .take_while(|d| d.log10_p <= found.log10_p)
                    .filter(|d| d.log10_p < found.log10_p || d.score >= found.score)
                    .count();
                (1 + at_least) as f64 / (1 + decoys.len()) as f64
            });
            let log10_p_value = found.log10_p.min(0.0);
            CandidateScore {
                recipient: recipient.as_str().to_owned(),
                score: found.score,
                threshold: scorer.accuse[found.look],
                p_value: 10f64.powf(log10_p_value),
                log10_p_value,
                empirical_p_value,
                accused: log10_p_value <= log10_alpha,
                look: plan.looks[found.look].label.clone(),
                look_positions: plan.looks[found.look].positions.len(),
            }
        })
        .collect();
    scored.sort_by(|a, b| {
        a.log10_p_value
            .total_cmp(&b.log10_p_value)
            .then_with(|| b.score.total_cmp(&a.score))
            .then_with(|| a.recipient.cmp(&b.recipient))
    });
    Verdict {
        accused: scored.iter().filter(|c| c.accused).cloned().collect(),
        candidates: scored,
        positions_observed: plan.looks[0].positions.len(),
        sites_observed: evidence.sites_observed(),
        files_scanned: evidence.files_scanned(),
        epsilon: params.epsilon,
        log10_alpha_per_candidate: log10_alpha,
        decoys: params.decoys,
        positions_per_channel: per_channel,
        looks: plan.looks.iter().map(|look| look.label.clone()).collect(),
    }
}

/// Every locator of the evidence with its bias, and the looks.
struct Plan {
    /// Every locator read, grouped by the single-file look it is first in
    /// (so that each such look's positions are one run), the rest after.
    universe: Vec<Locator>,
    /// Their bias thresholds and biases.
    thresholds: Vec<u64>,
    biases: Vec<f64>,
    /// The looks; the first is at all files.
    looks: Vec<Look>,
    /// The look at the files tagging edits, if there is one.
    taggable: Option<usize>,
    /// `(look, start, end)`: the run of the universe each single-file look
    /// has first; its other positions are `extras`.
    runs: Vec<(usize, usize, usize)>,
    /// `(look, universe index, sign of y)` of positions outside their
    /// look's run.
    extras: Vec<(usize, usize, f64)>,
    /// `log10` of each look's share of the bound.
    log10_weights: Vec<f64>,
}

/// The share of the false-accusation bound that the look at all files
/// gets when there are other looks: most of it, as that is the test the
/// code was designed for; the other looks are there for evidence diluted
/// by code that carries no mark, where it is strong or absent.
pub const WEIGHT_ALL: f64 = 0.9;

/// One way of looking at the evidence: a subset of the suspect's files,
/// with each position's majority among their reads.
struct Look {
    label: String,
    /// `(index into the universe, position)`.
    positions: Vec<(usize, Position)>,
}

/// Label of the look at every file.
pub const LOOK_ALL: &str = "all files";
/// Label of the look at the files tagging edits.
pub const LOOK_TAGGABLE: &str = "files tagging edits";

impl Plan {
    fn new(evidence: &Evidence, prf: &Prf, params: &TraceParams) -> Self {
        // Each look as `(label, locator -> rendered majority)`.
        type Seen = (String, std::collections::BTreeMap<Locator, bool>);
        let seen = |label: &str, reads: &mut dyn Iterator<Item = (Locator, (u32, u32))>| -> Seen {
            let values = reads
                .filter_map(|(locator, counts)| Some((locator, majority(counts)?)))
                .collect();
            (label.to_owned(), values)
        };
        let mut looks: Vec<Seen> = vec![seen(
            LOOK_ALL,
            &mut evidence.tallies().map(|(l, t)| (l, (t.zeros, t.ones))),
        )];
        let files: Vec<_> = evidence.files().collect();
        let mut more = Vec::new();
        let mut taggable = false;
        if params.per_file_looks && files.iter().any(|f| !f.taggable) {
            let mut sum = std::collections::BTreeMap::<Locator, (u32, u32)>::new();
            for file in files.iter().filter(|f| f.taggable) {
                for (locator, &reads) in &file.reads {
                    add_reads(sum.entry(*locator).or_insert((0, 0)), reads);
                }
            }
            more.push(seen(LOOK_TAGGABLE, &mut sum.into_iter()));
            taggable = true;
        }
        if params.per_file_looks && files.len() > 1 {
            let mut by_name = files.clone();
            by_name.sort_by(|a, b| a.name.cmp(&b.name));
            for file in by_name {
                let label = if file.name.is_empty() {
                    "(a file read without a name)"
                } else {
                    file.name.as_str()
                };
                more.push(seen(label, &mut file.reads.iter().map(|(l, r)| (*l, *r))));
            }
        }
        // A look that sees what another sees is the same test: count it
        // once (known by a digest of what it sees, so that many files cost
        // no more than linear time). An empty one is none.
        let digest = |look: &Seen| {
            let mut hasher = blake3::Hasher::new();
            for (locator, &value) in &look.1 {
                hasher.update(&locator.0);
                hasher.update(&[u8::from(value)]);
            }
            *hasher.finalize().as_bytes()
        };
        let mut known: std::collections::HashSet<[u8; 32]> = looks.iter().map(digest).collect();
        for (i, look) in more.into_iter().enumerate() {
            if look.1.is_empty() || !known.insert(digest(&look)) {
                taggable &= i > 0;
                continue;
            }
            looks.push(look);
        }
        let taggable = taggable.then_some(1);
        let singles = looks.len() - 1 - usize::from(taggable.is_some());
        let first_single = 1 + usize::from(taggable.is_some());

        // The universe: every locator, grouped by the first single-file
        // look that has it.
        let mut home: std::collections::BTreeMap<Locator, usize> = evidence
            .tallies()
            .map(|(locator, _)| (locator, usize::MAX))
            .collect();
        for (i, look) in looks.iter().enumerate().skip(first_single) {
            for locator in look.1.keys() {
                if let Some(slot) = home.get_mut(locator) {
                    *slot = (*slot).min(i);
                }
            }
        }
        let mut order: Vec<(usize, Locator)> = home.iter().map(|(l, &h)| (h, *l)).collect();
        order.sort_unstable();
        let universe: Vec<Locator> = order.iter().map(|&(_, l)| l).collect();
        let mut runs = Vec::new();
        for (at, &(look, _)) in order.iter().enumerate() {
            if look == usize::MAX {
                break;
            }
            match runs.last_mut() {
                Some((last, _, end)) if *last == look => *end = at + 1,
                _ => runs.push((look, at, at + 1)),
            }
        }
        let index: std::collections::BTreeMap<Locator, usize> =
            universe.iter().enumerate().map(|(i, l)| (*l, i)).collect();
        let bias: Vec<(u64, f64)> = universe
            .iter()
            .map(|&locator| params.code.design.bias(prf.bias_draw(locator)))
            .collect();
        let mut extras = Vec::new();
        let looks: Vec<Look> = looks
            .into_iter()
            .enumerate()
            .map(|(look, (label, values))| {
                let mut positions: Vec<(usize, Position)> = values
                    .into_iter()
                    .map(|(locator, rendered)| {
                        let i = index[&locator];
                        let (threshold, p) = bias[i];
                        let y = rendered ^ prf.mask(locator);
                        (
                            i,
                            Position {
                                locator,
                                y,
                                threshold,
                                p,
                            },
                        )
                    })
                    .collect();
                positions.sort_unstable_by_key(|&(i, _)| i);
                if look >= first_single {
                    extras.extend(
                        positions
                            .iter()
                            .filter(|(i, _)| order[*i].0 != look)
                            .map(|&(i, pos)| (look, i, if pos.y { 1.0 } else { -1.0 })),
                    );
                }
                Look { label, positions }
            })
            .collect();
        // Shares of the bound: all files WEIGHT_ALL, the rest split
        // between the look at the files tagging edits and the single files.
        let rest = 1.0 - WEIGHT_ALL;
        let weights: Vec<f64> = (0..looks.len())
            .map(|i| match (i, taggable.is_some(), singles) {
                (0, false, 0) => 1.0,
                (0, ..) => WEIGHT_ALL,
                (_, true, 0) => rest,
                (1, true, _) => rest / 2.0,
                (_, true, _) => rest / 2.0 / singles as f64,
                _ => rest / singles as f64,
            })
            .collect();
        Plan {
            thresholds: bias.iter().map(|&(threshold, _)| threshold).collect(),
            biases: bias.iter().map(|&(_, p)| p).collect(),
            universe,
            looks,
            taggable,
            runs,
            extras,
            log10_weights: weights.iter().map(|w| w.log10()).collect(),
        }
    }
}

/// A candidate's (or decoy's) best look.
#[derive(Debug, Clone, Copy)]
struct Scored {
    look: usize,
    score: f64,
    /// `log10` of the p-value in that look divided by the look's share of
    /// the bound (may exceed 0).
    log10_p: f64,
}

/// Per-look sums and null models, shared by every candidate.
///
/// A position's term is `U(y, 0, p)` plus, when the candidate's bit is 1,
/// `U(y, 1, p) - U(y, 0, p) = ±(sqrt((1-p)/p) + sqrt(p/(1-p)))`, `+` when
/// `y` is 1. The first parts sum to a look's base, the same for every
/// candidate; the second is the position's `gain` (when the bit is 1)
/// times the sign of `y` in the look.
struct Scorer<'p> {
    plan: &'p Plan,
    nulls: Vec<NullModel>,
    bases: Vec<f64>,
    /// Per universe position, `sqrt((1-p)/p) + sqrt(p/(1-p))`.
    gains: Vec<f64>,
    /// Per universe position, the sign of `y` in the look at all files, in
    /// the look at the files tagging edits, and in the single-file look
    /// whose run it is in (0 where the look does not see it).
    sign_all: Vec<f64>,
    sign_taggable: Vec<f64>,
    sign_run: Vec<f64>,
    /// Per look: the score that names a candidate there.
    accuse: Vec<f64>,
    /// Per look: the score below which its p-value, divided by its share,
    /// is above 1 (the look cannot matter).
    screen: Vec<f64>,
    /// The first look's locators, thresholds and changes, for the
    /// one-look path.
    locators: Vec<Locator>,
    thresholds: Vec<u64>,
    deltas: Vec<f64>,
}

impl<'p> Scorer<'p> {
    fn new(plan: &'p Plan, log10_alpha: f64) -> Self {
        let mut nulls = Vec::with_capacity(plan.looks.len());
        let mut bases = Vec::with_capacity(plan.looks.len());
        let size = plan.universe.len();
        let (mut sign_all, mut sign_taggable, mut sign_run) =
            (vec![0.0; size], vec![0.0; size], vec![0.0; size]);
        let run_of: Vec<usize> = {
            let mut run_of = vec![usize::MAX; size];
            for &(look, start, end) in &plan.runs {
                run_of[start..end].fill(look);
            }
            run_of
        };
        for (l, look) in plan.looks.iter().enumerate() {
            let positions: Vec<Position> = look.positions.iter().map(|(_, p)| *p).collect();
            nulls.push(NullModel::new(&positions));
            bases.push(
                positions
                    .iter()
                    .map(|pos| score_term(pos.y, false, pos.p))
                    .sum(),
            );
            for &(i, pos) in &look.positions {
                let sign = if pos.y { 1.0 } else { -1.0 };
                if l == 0 {
                    sign_all[i] = sign;
                } else if Some(l) == plan.taggable {
                    sign_taggable[i] = sign;
                } else if run_of[i] == l {
                    sign_run[i] = sign;
                }
            }
        }
        let gains = plan
            .biases
            .iter()
            .map(|&p| ((1.0 - p) / p).sqrt() + (p / (1.0 - p)).sqrt())
            .collect();
        let shares = || nulls.iter().zip(&plan.log10_weights);
        let accuse = shares()
            .map(|(null, w)| null.threshold(log10_alpha + w))
            .collect();
        let screen = shares().map(|(null, w)| null.threshold(*w)).collect();
        let first = &plan.looks[0].positions;
        Scorer {
            plan,
            nulls,
            bases,
            gains,
            sign_all,
            sign_taggable,
            sign_run,
            accuse,
            screen,
            locators: first.iter().map(|(_, p)| p.locator).collect(),
            thresholds: first.iter().map(|(_, p)| p.threshold).collect(),
            deltas: first
                .iter()
                .map(|(_, p)| score_term(p.y, true, p.p) - score_term(p.y, false, p.p))
                .collect(),
        }
    }

    fn evaluate(&self, codeword: &RecipientPrf) -> Scored {
        let plan = self.plan;
        if plan.looks.len() == 1 {
            let score = self.bases[0] + self.first_look(codeword);
            return Scored {
                look: 0,
                score,
                log10_p: self.nulls[0].log10_tail(score),
            };
        }
        let mut best = Scored {
            look: 0,
            score: 0.0,
            log10_p: f64::INFINITY,
        };
        for (i, score) in self.look_scores(codeword).into_iter().enumerate() {
            if i > 0 && score < self.screen[i] {
                continue;
            }
            let log10_p = self.nulls[i].log10_tail(score) - plan.log10_weights[i];
            if log10_p < best.log10_p {
                best = Scored {
                    look: i,
                    score,
                    log10_p,
                };
            }
        }
        best
    }

    /// The candidate's score in every look (more than one).
    fn look_scores(&self, codeword: &RecipientPrf) -> Vec<f64> {
        let plan = self.plan;
        // Each position's gain where the candidate's bit is 1, else 0.
        let mut won = vec![0.0f64; plan.universe.len()];
        codeword.draws(&plan.universe, |start, draws| {
            let end = start + draws.len();
            for (((won, draw), threshold), gain) in won[start..end]
                .iter_mut()
                .zip(draws)
                .zip(&plan.thresholds[start..end])
                .zip(&self.gains[start..end])
            {
                let bits = std::hint::select_unpredictable(draw < threshold, gain.to_bits(), 0);
                *won = f64::from_bits(bits);
            }
        });
        let mut sums = vec![0.0f64; plan.looks.len()];
        sums[0] = signed_sum(&won, &self.sign_all);
        if let Some(t) = plan.taggable {
            sums[t] = signed_sum(&won, &self.sign_taggable);
        }
        for &(look, start, end) in &plan.runs {
            sums[look] = signed_sum(&won[start..end], &self.sign_run[start..end]);
        }
        for &(look, i, sign) in &plan.extras {
            sums[look] += sign * won[i];
        }
        sums.iter()
            .zip(&self.bases)
            .map(|(sum, base)| base + sum)
            .collect()
    }

    /// The first look's score less its base, batched and branch-free.
    fn first_look(&self, codeword: &RecipientPrf) -> f64 {
        let deltas = &self.deltas;
        // Independent partial sums, so the additions need not wait on
        // each other; a fixed order, so the score is reproducible.
        let mut lanes = [0.0f64; LANES];
        codeword.draws(&self.locators, |start, draws| {
            let thresholds = &self.thresholds[start..start + draws.len()];
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
        lanes.iter().sum::<f64>()
    }
}

/// `sum(values[i] * signs[i])` in independent lanes, in a fixed order.
fn signed_sum(values: &[f64], signs: &[f64]) -> f64 {
    let mut lanes = [0.0f64; LANES];
    let mut chunks = values.chunks_exact(LANES).zip(signs.chunks_exact(LANES));
    for (values, signs) in &mut chunks {
        for lane in 0..LANES {
            lanes[lane] += values[lane] * signs[lane];
        }
    }
    let tail = values.len() - values.len() % LANES;
    let rest: f64 = values[tail..]
        .iter()
        .zip(&signs[tail..])
        .map(|(v, s)| v * s)
        .sum();
    lanes.iter().sum::<f64>() + rest
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::ChannelId;
    use crate::code::tardos::BiasDesign;
    use crate::lang::Lang;

    /// With several looks (shared locators between files, a file tagging
    /// leaves alone, a file read twice), every look's score equals the
    /// plain sum of `score_term` over its positions, and the looks are
    /// the expected ones.
    #[test]
    fn every_look_scores_its_own_positions() {
        let key = OwnerKey::from_seed([4; 32]);
        let prf = Prf::new(&key);
        // Locators ignore names, so the files differ in their literals.
        let body = |tag: &str, n: usize, from: usize| -> String {
            (from..from + n)
                .map(|i| {
                    format!(
                        "def {tag}{i}(x):\n    a = x + {i}\n\n    b = a * 2\n    c = b - 1\n\n    return c\n\n\n"
                    )
                })
                .collect()
        };
        let shared = body("shared", 5, 5000);
        let files = [
            ("a.py", format!("{shared}{}", body("a", 20, 0))),
            ("b.py", format!("{shared}{}", body("b", 15, 1000))),
            ("c.py", format!("{}lineno = 1\n", body("c", 10, 2000))),
            ("copy/a.py", format!("{shared}{}", body("a", 20, 0))),
        ];
        let mut evidence = Evidence::new();
        for (name, text) in &files {
            evidence
                .scan_named(Lang::Python, text.as_bytes(), &key, name)
                .expect("scan");
        }
        let params = TraceParams::default();
        let plan = Plan::new(&evidence, &prf, &params);
        let labels: Vec<&str> = plan.looks.iter().map(|l| l.label.as_str()).collect();
        assert_eq!(labels, [LOOK_ALL, LOOK_TAGGABLE, "a.py", "b.py", "c.py"]);
        assert!(!plan.extras.is_empty(), "shared locators make extras");
        let weights: f64 = plan.log10_weights.iter().map(|w| 10f64.powf(*w)).sum();
        assert!((weights - 1.0).abs() < 1e-12, "shares sum to {weights}");
        let scorer = Scorer::new(&plan, -9.0);
        for r in 0..20 {
            let codeword = prf.recipient(&Recipient::new(&format!("r{r}")).expect("id"));
            let fast = scorer.look_scores(&codeword);
            for (look, got) in plan.looks.iter().zip(fast) {
                let plain: f64 = look
                    .positions
                    .iter()
                    .map(|(_, pos)| {
                        score_term(pos.y, codeword.draw(pos.locator) < pos.threshold, pos.p)
                    })
                    .sum();
                assert!(
                    (got - plain).abs() <= 1e-9 * plain.abs().max(1.0),
                    "{}: {got} != {plain}",
                    look.label
                );
            }
        }
    }

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
