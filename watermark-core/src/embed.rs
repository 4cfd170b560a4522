//! The tagging pipeline for one file:
//! parse -> sites -> plan (codeword bit XOR mask) -> edits -> apply -> verify.

use std::collections::BTreeMap;

use crate::channel::{all_sites, editable_sites, ChannelId, Site, Swap};
use crate::code::prf::{Locator, Prf, RecipientPrf};
use crate::code::tardos::BiasDesign;
use crate::key::OwnerKey;
use crate::lang::Lang;
use crate::recipient::Recipient;
use crate::report::{FileStatus, SkipReason, TextPosition};
use crate::span::{ByteSpan, Edit, EditPlan};
#[cfg(test)]
use crate::syntax::Decoded;
use crate::syntax::{
    decode, index_for_tagging, parse, reparse, same_program, syntax_digest, syntax_digest_swapped,
    Parsed,
};

/// Settings of the code. `design` must agree between tagging and tracing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CodeParams {
    /// How position biases are drawn.
    pub design: BiasDesign,
    /// Tagging only: how far each class's density of value-1 sites (blank
    /// lines) may move toward 1/2, as a fraction of the distance. 0 keeps
    /// the author's count exactly; 1 ignores it. More slack, more signal.
    pub density_slack: f64,
}

impl Default for CodeParams {
    fn default() -> Self {
        CodeParams {
            design: BiasDesign::Half,
            density_slack: DEFAULT_DENSITY_SLACK,
        }
    }
}

/// The default [`CodeParams::density_slack`]: render every site. Measured on
/// the public corpus, keeping the author's exact blank-line count (0) leaves
/// too few free bits to trace small crates at p < 1e-9 (fnv: 12 blank lines
/// among 217 sites caps the evidence near 2^-24); 0.5 still misses three of
/// sixteen projects. Users who value an unchanged density over tracing
/// power lower it per run.
pub const DEFAULT_DENSITY_SLACK: f64 = 1.0;

/// The outcome of tagging one file.
#[derive(Debug, Clone)]
pub struct TaggedFile {
    /// The bytes to deliver: the tagged text, or the input unchanged.
    pub output: Vec<u8>,
    /// What happened.
    pub status: FileStatus,
    /// Sites found per channel (empty when the file was skipped).
    pub channel_sites: Vec<(ChannelId, usize)>,
}

/// The rendered value recipient `r` must show at locator `l`:
/// `X_r(l) XOR mask(l)`.
pub(crate) fn rendered_bit(
    prf: &Prf,
    recipient: &RecipientPrf,
    design: BiasDesign,
    locator: Locator,
) -> bool {
    let (threshold, _) = design.bias(prf.bias_draw(locator));
    (recipient.draw(locator) < threshold) ^ prf.mask(locator)
}

/// Tag one source file for `recipient`. Never fails: a file that cannot be
/// tagged safely comes back unchanged with the reason in its status.
pub fn tag_source(
    lang: Lang,
    bytes: &[u8],
    key: &OwnerKey,
    recipient: &Recipient,
    params: &CodeParams,
) -> TaggedFile {
    let prf = Prf::new(key);
    let recipient = prf.recipient(recipient);
    match tag_text(lang, bytes, &prf, &recipient, params) {
        Ok(tagged) => tagged,
        Err(reason) => TaggedFile {
            output: bytes.to_vec(),
            status: FileStatus::Skipped(reason),
            channel_sites: Vec::new(),
        },
    }
}

/// The value recipient `recipient`'s copy shows at a site with this
/// locator: what colluders comparing copies see.
pub fn rendered_value(
    key: &OwnerKey,
    recipient: &Recipient,
    design: BiasDesign,
    locator: Locator,
) -> bool {
    let prf = Prf::new(key);
    rendered_bit(&prf, &prf.recipient(recipient), design, locator)
}

/// Render `bytes` with each site showing the value `want` gives for its
/// locator; a site where it gives `None` keeps its value. This is how
/// colluders mix their copies (majority, erasure, ...): the attack
/// simulations build real mixed copies with it. Never fails: a file that
/// cannot be rendered safely comes back unchanged.
pub fn render_source(
    lang: Lang,
    bytes: &[u8],
    key: &OwnerKey,
    want: &dyn Fn(Locator) -> Option<bool>,
) -> TaggedFile {
    let prf = Prf::new(key);
    let choose = |sites: &[Site]| -> Vec<usize> {
        sites
            .iter()
            .enumerate()
            .filter(|(_, site)| want(site.locator).is_some_and(|v| v != site.value))
            .map(|(i, _)| i)
            .collect()
    };
    match render_text(lang, bytes, &prf, &choose) {
        Ok(tagged) => tagged,
        Err(reason) => TaggedFile {
            output: bytes.to_vec(),
            status: FileStatus::Skipped(reason),
            channel_sites: Vec::new(),
        },
    }
}

fn tag_text(
    lang: Lang,
    bytes: &[u8],
    prf: &Prf,
    recipient: &RecipientPrf,
    params: &CodeParams,
) -> Result<TaggedFile, SkipReason> {
    render_text(lang, bytes, prf, &|sites| {
        plan(sites, prf, recipient, params)
    })
}

/// Parse, find every site, flip those `choose` picks, verify.
fn render_text(
    lang: Lang,
    bytes: &[u8],
    prf: &Prf,
    choose: &dyn Fn(&[Site]) -> Vec<usize>,
) -> Result<TaggedFile, SkipReason> {
    let decoded = decode(bytes)?;
    let parsed = parse(lang, decoded.text)?;
    // Every channel's sites are found on the one parse: sites next to
    // moved code are hashed by stable identities (see `Channel::sites`), so
    // the moves and the other edits are planned and applied together.
    // Where the parser rejected something, the code around it stays as it
    // is (real code has syntax the grammar lacks; the rest is tagged).
    let index = index_for_tagging(&parsed);
    // Code that reads its own line numbers could tell the copies apart.
    parsed.refuse_line_observers()?;
    let sites = editable_sites(&parsed.error_extents(), all_sites(&parsed, &index, prf));
    let chosen = choose(&sites);
    let syntax_error = parsed.first_error().map(TextPosition::new);
    let mut output = Vec::with_capacity(decoded.bom.len() + decoded.text.len() + chosen.len());
    output.extend_from_slice(decoded.bom);
    if chosen.is_empty() {
        output.extend_from_slice(decoded.text.as_bytes());
    } else {
        let picked: Vec<&Site> = chosen.iter().map(|&i| &sites[i]).collect();
        let (text, _) = apply_checked(parsed, Rewrite::of_sites(decoded.text, &picked)?)?;
        output.extend_from_slice(text.as_bytes());
    }
    let channel_sites = ChannelId::ALL
        .iter()
        .map(|&id| (id, sites.iter().filter(|s| s.channel == id).count()))
        .collect();
    Ok(TaggedFile {
        output,
        status: FileStatus::Processed {
            sites: sites.len(),
            edits: chosen.len(),
            syntax_error,
        },
        channel_sites,
    })
}

/// What tagging one file changes: the edits, and the same rewrite as
/// tree-sitter is told about it so that its re-parse reuses what it can.
pub(crate) struct Rewrite {
    /// Non-overlapping edits in original coordinates: what the output is.
    edits: Vec<Edit>,
    /// The declared exchanges of sibling extents.
    swaps: Vec<Swap>,
    /// The same rewrite described for reuse (see [`describe_moves`]).
    reuse: Vec<Edit>,
}

impl Rewrite {
    /// The flips of `sites`, flattened into non-overlapping edits: an edit
    /// inside a swap (two methods of a class that itself trades places, a
    /// blank line between the two items) is rendered into the swap's
    /// replacement.
    pub(crate) fn of_sites(text: &str, sites: &[&Site]) -> Result<Self, SkipReason> {
        let swaps: Vec<Swap> = sites.iter().filter_map(|site| site.swap).collect();
        if swaps.is_empty() {
            let edits: Vec<Edit> = sites.iter().map(|site| site.flip.clone()).collect();
            return Ok(Rewrite {
                reuse: edits.clone(),
                edits,
                swaps,
            });
        }
        let mut moves: Vec<Move<'_>> = sites
            .iter()
            .map(|s| {
                (
                    s.flip.span.byte_start(),
                    s.flip.span.byte_end(),
                    s.swap,
                    s.flip.replacement.as_str(),
                )
            })
            .collect();
        // Outer before inner; an insertion at the very start of a move
        // stands before it, not inside it.
        moves.sort_by_key(|&(start, end, ..)| (start, end != start, std::cmp::Reverse(end)));
        let fail = |detail: &str| SkipReason::VerifyFailed {
            detail: detail.to_owned(),
        };
        let mut edits = Vec::new();
        for group in groups(&moves) {
            let (start, end, ..) = group[0];
            let replacement = render_move(text, group, 0).map_err(fail)?;
            let span = ByteSpan::new(start, end).ok_or_else(|| fail("bad span"))?;
            push_merged(&mut edits, Edit { span, replacement }).map_err(fail)?;
        }
        let mut reuse = Vec::new();
        describe_moves(text, &moves, 0, &mut reuse).map_err(fail)?;
        Ok(Rewrite {
            edits,
            swaps,
            reuse,
        })
    }

    /// Plain edits, no swaps.
    #[cfg(test)]
    pub(crate) fn plain(edits: Vec<Edit>) -> Self {
        Rewrite {
            reuse: edits.clone(),
            edits,
            swaps: Vec::new(),
        }
    }
}

/// `moves` (sorted outer before inner) cut into groups: each an outermost
/// move followed by the moves inside it.
fn groups<'m, 'a>(moves: &'m [Move<'a>]) -> impl Iterator<Item = &'m [Move<'a>]> {
    let mut rest = moves;
    std::iter::from_fn(move || {
        let (_, end, ..) = *rest.first()?;
        let len = rest[1..]
            .iter()
            .position(|m| m.0 >= end)
            .map_or(rest.len(), |p| p + 1);
        let (group, tail) = rest.split_at(len);
        rest = tail;
        Some(group)
    })
}

/// Append `edit` to sorted, non-overlapping `out`, joining it to an
/// insertion at the same point (the insertion's text comes first).
fn push_merged(out: &mut Vec<Edit>, edit: Edit) -> Result<(), &'static str> {
    if let Some(last) = out.last_mut() {
        let (start, end) = (edit.span.byte_start(), edit.span.byte_end());
        if last.span.byte_len() == 0 && last.span.byte_start() == start {
            last.replacement.push_str(&edit.replacement);
            last.span = ByteSpan::new(start, end).ok_or("bad span")?;
            return Ok(());
        }
        if last.span.byte_end() > start {
            return Err("overlapping edits");
        }
    }
    out.push(edit);
    Ok(())
}

/// The same rewrite as the flattened `moves`, described so that
/// tree-sitter can reuse the larger extent of each swap and everything in
/// it that no edit touches. Tree-sitter reuses a subtree only where it
/// stands in the old tree, so `A gap B -> B' gap' A'` is described as
/// "delete `A gap`, keep `B` with its own inner edits (described the same
/// way), insert `gap' A'` after it", or the mirror image when `A` is the
/// larger. Rendering a whole swap as one replacement instead would make
/// tree-sitter re-parse both extents, and with a blank line changed inside
/// most moved items that is most of the file.
fn describe_moves(
    text: &str,
    moves: &[Move<'_>],
    depth: usize,
    out: &mut Vec<Edit>,
) -> Result<(), &'static str> {
    if depth > 256 {
        return Err("moves nested too deeply");
    }
    let edit = |start: usize, end: usize, replacement: String| {
        let span = ByteSpan::new(start, end).ok_or("bad span")?;
        Ok::<_, &'static str>(Edit { span, replacement })
    };
    for group in groups(moves) {
        let (start, end, swap, replacement) = group[0];
        let nested = &group[1..];
        let Some(swap) = swap else {
            push_merged(out, edit(start, end, replacement.to_owned())?)?;
            continue;
        };
        let (a, b) = (swap.first, swap.second);
        // The moves inside an extent; insertions at its ends belong to the
        // gap (as in `render_move`).
        let inside = |(k0, k1): (usize, usize)| -> Vec<Move<'_>> {
            nested
                .iter()
                .filter(|m| m.0 >= k0 && m.1 <= k1 && !(m.0 == m.1 && (m.0 == k0 || m.0 == k1)))
                .copied()
                .collect()
        };
        let mut moved = String::new();
        if b.1 - b.0 >= a.1 - a.0 {
            push_merged(out, edit(a.0, b.0, String::new())?)?;
            describe_moves(text, &inside(b), depth + 1, out)?;
            render_range(text, a.1, b.0, nested, depth, true, &mut moved)?;
            render_range(text, a.0, a.1, nested, depth, false, &mut moved)?;
            push_merged(out, edit(b.1, b.1, moved)?)?;
        } else {
            render_range(text, b.0, b.1, nested, depth, false, &mut moved)?;
            render_range(text, a.1, b.0, nested, depth, true, &mut moved)?;
            push_merged(out, edit(a.0, a.0, moved)?)?;
            describe_moves(text, &inside(a), depth + 1, out)?;
            push_merged(out, edit(a.1, b.1, String::new())?)?;
        }
    }
    Ok(())
}

type Move<'a> = (usize, usize, Option<Swap>, &'a str);

/// The text replacing `moves[0]`, with the moves nested in it (the rest of
/// `moves`, all inside it) applied first.
fn render_move(text: &str, moves: &[Move<'_>], depth: usize) -> Result<String, &'static str> {
    let &(_, _, swap, replacement) = moves.first().ok_or("no move")?;
    if depth > 256 {
        return Err("moves nested too deeply");
    }
    let nested = &moves[1..];
    let Some(swap) = swap else {
        return if nested.is_empty() {
            Ok(replacement.to_owned())
        } else {
            Err("an edit overlaps a moved item")
        };
    };
    let (a, b) = (swap.first, swap.second);
    let mut out = String::with_capacity(b.1 - a.0);
    // An insertion where an extent begins or ends belongs to the gap
    // between the two (a blank line), never to the moved text.
    render_range(text, b.0, b.1, nested, depth, false, &mut out)?;
    render_range(text, a.1, b.0, nested, depth, true, &mut out)?;
    render_range(text, a.0, a.1, nested, depth, false, &mut out)?;
    Ok(out)
}

/// Append `text[start..end]` with the moves inside it applied; insertions
/// at its very ends only when `ends_included`.
fn render_range(
    text: &str,
    start: usize,
    end: usize,
    moves: &[Move<'_>],
    depth: usize,
    ends_included: bool,
    out: &mut String,
) -> Result<(), &'static str> {
    let mut at = start;
    let mut i = 0;
    while i < moves.len() {
        let (m_start, m_end, ..) = moves[i];
        let group_end = moves[i + 1..]
            .iter()
            .position(|m| m.0 >= m_end)
            .map_or(moves.len(), |p| i + 1 + p);
        let at_an_end = m_start == m_end && (m_start == start || m_start == end);
        if at_an_end && !ends_included {
            i = group_end;
            continue;
        }
        if m_start >= start && m_end <= end {
            if m_start < at {
                return Err("overlapping moves");
            }
            out.push_str(text.get(at..m_start).ok_or("bad span")?);
            out.push_str(&render_move(text, &moves[i..group_end], depth + 1)?);
            at = m_end;
        } else if m_start < end && m_end > start {
            return Err("a move straddles an extent");
        }
        i = group_end;
    }
    out.push_str(text.get(at..end).ok_or("bad span")?);
    Ok(())
}

/// Choose the edits: every site whose value differs from the recipient's
/// rendered bit, except that for a density-preserving channel each class
/// makes every edit of its minority direction, and of the surplus
/// direction as many again (lowest keyed rank first) plus those whose rank
/// falls in the slack fraction. With no slack a copy shows the author's
/// count exactly. Tagging a tagged file finds only surplus edits left, all
/// outside the slack, and so changes nothing.
pub(crate) fn plan(
    sites: &[Site],
    prf: &Prf,
    recipient: &RecipientPrf,
    params: &CodeParams,
) -> Vec<usize> {
    let design = params.design;
    let slack_rank = (params.density_slack.clamp(0.0, 1.0) * 2f64.powi(64)) as u64;
    type Wanted = (Vec<(u64, usize)>, Vec<(u64, usize)>);
    let mut groups: BTreeMap<(ChannelId, u8), Wanted> = BTreeMap::new();
    for (index, site) in sites.iter().enumerate() {
        let want = rendered_bit(prf, recipient, design, site.locator);
        if want == site.value {
            continue;
        }
        let (to_one, to_zero) = groups.entry((site.channel, site.class)).or_default();
        let ranked = (prf.rank(site.locator), index);
        if want {
            to_one.push(ranked);
        } else {
            to_zero.push(ranked);
        }
    }
    let mut chosen = Vec::new();
    for ((channel, _class), (mut to_one, mut to_zero)) in groups {
        if channel.channel().preserves_density() {
            let keep = to_one.len().min(to_zero.len());
            for wanted in [&mut to_one, &mut to_zero] {
                wanted.sort_unstable();
                let in_slack = wanted.partition_point(|&(rank, _)| rank < slack_rank);
                wanted.truncate(keep.max(in_slack));
            }
        }
        chosen.extend(to_one.into_iter().chain(to_zero).map(|(_, i)| i));
    }
    chosen.sort_unstable();
    chosen
}

/// Apply `edits` to `parsed`'s text and prove the result means the same
/// program, up to exactly the declared `swaps` of sibling extents; return
/// the new text and its tree. Whitespace-only edits are checked cheaply
/// against the incrementally re-parsed tree, others by full digests.
///
/// Takes `parsed` by value: its tree is edited in place for the re-parse
/// (copying the paths to every edit cost more than the edits), so it no
/// longer describes `parsed.text` afterwards.
pub(crate) fn apply_checked(
    mut parsed: Parsed<'_>,
    rewrite: Rewrite,
) -> Result<(String, tree_sitter::Tree), SkipReason> {
    let verify_failed = |detail: String| SkipReason::VerifyFailed { detail };
    let source = parsed.text;
    let Rewrite {
        edits,
        swaps,
        reuse,
    } = rewrite;
    let swaps = &swaps[..];
    let plan = EditPlan::new(edits, source.len()).map_err(|e| verify_failed(e.to_string()))?;
    let text = plan
        .apply(source)
        .map_err(|e| verify_failed(e.to_string()))?;
    // Cheap when the edits only moved whitespace and declared swaps: the
    // re-parse reused every untouched subtree and only the paths to the
    // edits are compared. Any other edit: full digests.
    let declared = plan.edits().iter().all(|edit| {
        let replaced = &source[edit.span.byte_start()..edit.span.byte_end()];
        let is_swap = swaps
            .iter()
            .any(|s| s.first.0 >= edit.span.byte_start() && s.second.1 <= edit.span.byte_end());
        is_swap || (is_whitespace(replaced) && is_whitespace(&edit.replacement))
    });
    // Everything read from the original tree is read before it is edited.
    let had_errors = parsed.tree.root_node().has_error();
    let original_digest =
        (!declared || cfg!(debug_assertions)).then(|| syntax_digest_swapped(&parsed, swaps));
    if declared {
        parsed.record_shape(); // done by the index walk when tagging
    }
    // Re-parse incrementally: tree-sitter reuses the subtrees no edit
    // touches. Debug builds (the test suite, the fuzz target) also
    // re-parse from scratch and require the very same tree.
    //
    // A file with syntax errors is parsed from scratch instead: the
    // parser's recovery from an error may differ between the two, and the
    // tracer parses from scratch. Its errors must then come back exactly
    // where they were (`same_program` compares ERROR nodes like any other).
    //
    // The description tree-sitter is given must yield exactly this text,
    // or its reuse could stand for text that is not there; should it not
    // (a bug), the re-parse is done from scratch.
    let described = EditPlan::new(reuse, source.len())
        .ok()
        .filter(|plan| plan.apply(source).is_ok_and(|t| t == text));
    debug_assert!(
        described.is_some(),
        "the reuse description differs from the edits"
    );
    let reparsed = match described {
        Some(described) if !had_errors => {
            let lines = LineIndex::new(source);
            for edit in described.edits().iter().rev() {
                parsed.tree.edit(&lines.input_edit(edit));
            }
            let reparsed = reparse(parsed.lang, &text, &parsed.tree)?;
            #[cfg(debug_assertions)]
            {
                let fresh = parse(parsed.lang, &text)?;
                assert_eq!(
                    syntax_digest(&fresh),
                    syntax_digest(&reparsed),
                    "incremental and fresh re-parse disagree"
                );
                assert_eq!(fresh.first_error(), reparsed.first_error());
            }
            reparsed
        }
        _ => parse(parsed.lang, &text)?,
    };
    if !had_errors {
        if let Some((line, column)) = reparsed.first_error() {
            return Err(verify_failed(format!(
                "tagged text has a syntax error at {line}:{column}"
            )));
        }
    }
    let same = match original_digest {
        Some(digest) if !declared => syntax_digest(&reparsed) == digest,
        digest => {
            // Reads the original's recorded shape and text, not its tree.
            let same = same_program(&parsed, &reparsed, swaps);
            debug_assert!(
                digest.is_none_or(|digest| same == (syntax_digest(&reparsed) == digest)),
                "same_program disagrees with the digests"
            );
            same
        }
    };
    if !same {
        return Err(verify_failed("normalized syntax tree changed".to_owned()));
    }
    let tree = reparsed.tree;
    Ok((text, tree))
}

/// Apply `edits` to a decoded file and prove the result means the same
/// program; otherwise keep the input.
#[cfg(test)]
pub(crate) fn apply_verified(
    parsed: Parsed<'_>,
    decoded: Decoded<'_>,
    edits: Vec<Edit>,
    site_count: usize,
) -> Result<TaggedFile, SkipReason> {
    let edit_count = edits.len();
    let mut output = decoded.bom.to_vec();
    if edits.is_empty() {
        output.extend_from_slice(decoded.text.as_bytes());
    } else {
        output.extend_from_slice(apply_checked(parsed, Rewrite::plain(edits))?.0.as_bytes());
    }
    Ok(TaggedFile {
        output,
        status: FileStatus::Processed {
            sites: site_count,
            edits: edit_count,
            syntax_error: None,
        },
        channel_sites: Vec::new(),
    })
}

fn is_whitespace(text: &str) -> bool {
    text.bytes().all(|b| b.is_ascii_whitespace())
}

/// Byte offsets to tree-sitter points, for describing edits to a tree.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        let starts = std::iter::once(0)
            .chain(
                text.bytes()
                    .enumerate()
                    .filter(|&(_, b)| b == b'\n')
                    .map(|(i, _)| i + 1),
            )
            .collect();
        LineIndex { starts }
    }

    fn point(&self, byte: usize) -> tree_sitter::Point {
        let row = self
            .starts
            .partition_point(|&s| s <= byte)
            .saturating_sub(1);
        tree_sitter::Point::new(row, byte - self.starts[row])
    }

    /// The edit in the original text's coordinates (edits are given to the
    /// tree from last to first, so earlier ones never shift).
    fn input_edit(&self, edit: &Edit) -> tree_sitter::InputEdit {
        let start = edit.span.byte_start();
        let start_position = self.point(start);
        let inserted = edit.replacement.as_bytes();
        let new_end_position = match inserted.iter().rposition(|&b| b == b'\n') {
            Some(last) => tree_sitter::Point::new(
                start_position.row + inserted.iter().filter(|&&b| b == b'\n').count(),
                inserted.len() - last - 1,
            ),
            None => {
                tree_sitter::Point::new(start_position.row, start_position.column + inserted.len())
            }
        };
        tree_sitter::InputEdit {
            start_byte: start,
            old_end_byte: edit.span.byte_end(),
            new_end_byte: start + inserted.len(),
            start_position,
            old_end_position: self.point(edit.span.byte_end()),
            new_end_position,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> OwnerKey {
        OwnerKey::from_seed([3; 32])
    }

    #[test]
    fn a_rewrite_that_changes_the_program_is_refused_and_the_input_kept() {
        let src = "fn f() {\n    let a = 1;\n    let b = 2;\n}\n";
        let decoded = decode(src.as_bytes()).expect("text");
        // Each attempt on a fresh parse: a checked rewrite consumes it.
        let parsed = || parse(Lang::Rust, decoded.text).expect("parse");
        // A sabotaged channel: renames `a` to `ab`.
        let bad = Edit {
            span: ByteSpan::empty(src.find("a =").expect("a") + 1),
            replacement: "b".to_owned(),
        };
        let err = apply_verified(parsed(), decoded, vec![bad], 1).unwrap_err();
        assert!(matches!(err, SkipReason::VerifyFailed { .. }), "{err}");
        // One that breaks the syntax.
        let broken = Edit {
            span: ByteSpan::empty(src.find('}').expect("brace")),
            replacement: "{".to_owned(),
        };
        let err = apply_verified(parsed(), decoded, vec![broken], 1).unwrap_err();
        assert!(err.to_string().contains("syntax error"), "{err}");
        // Overlapping edits are refused, never half-applied.
        let a = Edit {
            span: ByteSpan::new(0, 3).expect("span"),
            replacement: String::new(),
        };
        let b = Edit {
            span: ByteSpan::new(2, 4).expect("span"),
            replacement: String::new(),
        };
        let err = apply_verified(parsed(), decoded, vec![a, b], 1).unwrap_err();
        assert!(err.to_string().contains("overlap"), "{err}");
    }

    #[test]
    fn whitespace_only_rewrites_that_change_the_program_are_refused() {
        let src = "def f(x):\n    a = 'p q'\n    b = 2\n    return a\n\n\ny = f(1)\n";
        let decoded = decode(src.as_bytes()).expect("text");
        let parsed = || parse(Lang::Python, decoded.text).expect("parse");
        let at = |needle: &str| src.find(needle).expect("needle");
        let cases = [
            // Dedent the return: it leaves the function.
            Edit {
                span: ByteSpan::new(at("    return"), at("return")).expect("span"),
                replacement: String::new(),
            },
            // A space inside a string literal.
            Edit {
                span: ByteSpan::empty(at("p q") + 1),
                replacement: " ".to_owned(),
            },
            // A line break inside an expression statement's call.
            Edit {
                span: ByteSpan::empty(at("f(1)") + 1),
                replacement: "\n".to_owned(),
            },
        ];
        for edit in cases {
            let err = apply_verified(parsed(), decoded, vec![edit.clone()], 1).unwrap_err();
            assert!(
                matches!(err, SkipReason::VerifyFailed { .. }),
                "{edit:?} accepted: {err}"
            );
        }
        // A blank line between statements is fine.
        let fine = Edit {
            span: ByteSpan::empty(at("    b = 2")),
            replacement: "\n".to_owned(),
        };
        assert!(apply_verified(parsed(), decoded, vec![fine], 1).is_ok());
    }

    #[test]
    fn a_file_with_syntax_errors_everywhere_is_copied_unchanged() {
        let src = b"fn f( {\n    let a = 1;\n\n    let b = 2;\n}\n";
        let out = tag_source(
            Lang::Rust,
            src,
            &key(),
            &Recipient::new("r").expect("r"),
            &CodeParams::default(),
        );
        assert_eq!(out.output, src);
        assert!(
            matches!(
                out.status,
                FileStatus::Processed {
                    edits: 0,
                    syntax_error: Some(TextPosition { line: 1, .. }),
                    ..
                }
            ),
            "{:?}",
            out.status
        );
    }
}
