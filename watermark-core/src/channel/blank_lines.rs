//! The formatter-stable blank-line channel.
//!
//! A site is the gap between two consecutive statements of a body (function
//! body, block, module, impl or class body) where rustfmt and black keep
//! whichever of zero or one blank line is there. Its value is whether the
//! blank line is present. Excluded: the start and end of a block, anything
//! inside an expression, string, macro token tree or decorator list, and
//! every gap where the formatter imposes its own count (around Python
//! definitions, after docstrings and imports) or where a blank line changes
//! what a tool does (rustfmt sorts `use` and `mod` lines within groups).

use tree_sitter::Node;

use super::{Channel, ChannelId, Site, Units};
use crate::code::prf::Prf;
use crate::span::{ByteSpan, Edit};
use crate::syntax::{feed_tokens, token_window, Index, Parsed};

/// Tokens hashed from each end of each neighbouring statement.
const WINDOW: usize = 8;

pub(crate) struct BlankLines;

impl Channel for BlankLines {
    fn preserves_density(&self) -> bool {
        true
    }

    fn sites(
        &self,
        parsed: &Parsed<'_>,
        index: &Index<'_>,
        prf: &Prf,
        units: &mut Units,
        out: &mut Vec<Site>,
    ) {
        let mut found = Vec::new();
        for &body in &index.bodies {
            body_sites(
                parsed,
                prf,
                body,
                &index.children(body),
                &index.containing_starts,
                units,
                &mut found,
            );
        }
        found.sort_by_key(|site: &Site| site.byte_offset);
        out.extend(found);
    }
}

fn body_sites(
    parsed: &Parsed<'_>,
    prf: &Prf,
    body: Node<'_>,
    children: &[Node<'_>],
    containing_starts: &[usize],
    units: &Units,
    out: &mut Vec<Site>,
) {
    let kinds = parsed.kinds;
    let table = parsed.lang.table();
    let Some(class) = table.body_kinds.iter().position(|&k| k == body.kind()) else {
        return;
    };
    let mut prev: Option<Node<'_>> = None;
    let mut comments: Vec<Node<'_>> = Vec::new();
    for &child in children {
        if kinds.comment.contains(child.kind_id()) {
            comments.push(child);
            continue;
        }
        if !child.is_named() || child.is_error() || child.is_missing() || child.has_error() {
            prev = None;
            comments.clear();
            continue;
        }
        if let Some(a) = prev {
            if eligible(parsed, a, child, containing_starts) {
                if let Some(site) = gap_site(parsed, prf, class, a, child, &comments, units) {
                    out.push(site);
                }
            }
        }
        prev = Some(child);
        comments.clear();
    }
}

fn eligible(parsed: &Parsed<'_>, a: Node<'_>, b: Node<'_>, containing_starts: &[usize]) -> bool {
    let kinds = parsed.kinds;
    let excluded_either = |n: Node<'_>| {
        kinds.blank_exclude_either.contains(n.kind_id())
            || (kinds.blank_exclude_bodiless.contains(n.kind_id())
                && n.child_by_field_name("body").is_none())
    };
    if excluded_either(a) || excluded_either(b) || kinds.blank_exclude_before.contains(a.kind_id())
    {
        return false;
    }
    // A definition anywhere inside the statement before the gap.
    let first = containing_starts.partition_point(|&s| s < a.start_byte());
    if containing_starts
        .get(first)
        .is_some_and(|&s| s < a.end_byte())
    {
        return false;
    }
    if let Some((stmt, only)) = &kinds.docstring {
        if stmt.contains(a.kind_id())
            && a.named_child_count() == 1
            && a.named_child(0).is_some_and(|c| only.contains(c.kind_id()))
        {
            return false;
        }
    }
    true
}

/// The site in the gap after `a` (followed by `b`), if the gap has the shape
/// `a [comment] NEWLINE (blank line)? ...`.
fn gap_site(
    parsed: &Parsed<'_>,
    prf: &Prf,
    class: usize,
    a: Node<'_>,
    b: Node<'_>,
    comments: &[Node<'_>],
    units: &Units,
) -> Option<Site> {
    let text = parsed.text.as_bytes();
    let mut line_end = line_end_after(text, a.end_byte());
    if line_end.is_none() {
        // A trailing comment on the statement's last line. rustfmt aligns
        // comment lines that follow it under it, and whether it does
        // depends on the blank line: no site when another comment follows.
        let trailing = comments.first().filter(|c| {
            let gap = &text[a.end_byte()..c.start_byte()];
            gap.iter().all(|&b| b == b' ' || b == b'\t')
        })?;
        if comments.len() > 1 {
            return None;
        }
        line_end = line_end_after(text, trailing.end_byte());
    }
    let p = line_end?;
    // Formatter directives on either statement, or between them.
    let directives = parsed.lang.table().formatter_directives;
    if !directives.is_empty() {
        let end = text[b.end_byte()..]
            .iter()
            .position(|&c| c == b'\n')
            .map_or(text.len(), |i| b.end_byte() + i);
        let span = &parsed.text[a.start_byte()..end];
        if directives.iter().any(|d| span.contains(d)) {
            return None;
        }
    }
    if p > b.start_byte() {
        return None;
    }
    // Count the blank lines that follow.
    let (mut q, mut blank_lines, mut first_blank_end) = (p, 0, p);
    loop {
        let mut j = q;
        // Spaces, tabs and the CR of a CRLF; a form feed is a page break
        // someone put there, not a blank line to move.
        while j < text.len() && matches!(text[j], b' ' | b'\t' | b'\r') {
            j += 1;
        }
        if j < text.len() && text[j] == b'\n' && j < b.start_byte() {
            blank_lines += 1;
            q = j + 1;
            if blank_lines == 1 {
                first_blank_end = q;
            }
        } else {
            break;
        }
    }
    let (value, flip) = match blank_lines {
        0 => {
            let newline = if p >= 2 && &text[p - 2..p] == b"\r\n" {
                "\r\n"
            } else {
                "\n"
            };
            (
                false,
                Edit {
                    span: ByteSpan::empty(p),
                    replacement: newline.to_owned(),
                },
            )
        }
        1 => (
            true,
            Edit {
                span: ByteSpan::new(p, first_blank_end)?,
                replacement: String::new(),
            },
        ),
        _ => return None,
    };
    let mut hasher = prf.locator_hasher();
    hasher.update(&[ChannelId::BlankLines as u8]);
    hasher.update(parsed.lang.table().body_kinds[class].as_bytes());
    let mut names = Vec::new();
    feed_statement(parsed, units, a, &mut names, &mut hasher);
    feed_statement(parsed, units, b, &mut names, &mut hasher);
    Some(Site {
        channel: ChannelId::BlankLines,
        locator: hasher.finish(),
        class: u8::try_from(class).unwrap_or(u8::MAX),
        value,
        byte_offset: p,
        flip,
        swap: None,
    })
}

/// Hash a statement next to a gap into a locator: by its stable identity
/// when moves can change it or its neighbours (the site is then the same
/// whichever way they went), else by its token window.
fn feed_statement(
    parsed: &Parsed<'_>,
    units: &Units,
    node: Node<'_>,
    names: &mut Vec<u64>,
    hasher: &mut crate::code::prf::LocatorHasher,
) {
    match units.get(node) {
        Some(unit) => {
            hasher.update(&[0xfc]).update(&unit.0);
        }
        None => feed_tokens(&token_window(parsed, node, WINDOW), names, hasher),
    }
}

/// The offset just past the newline ending the line on which `offset` lies,
/// if only spaces and tabs stand between `offset` and that newline. A node
/// that already ends with its newline gives its own end.
fn line_end_after(text: &[u8], offset: usize) -> Option<usize> {
    if offset > 0 && text.get(offset - 1) == Some(&b'\n') {
        return Some(offset);
    }
    let mut i = offset;
    while i < text.len() && matches!(text[i], b' ' | b'\t') {
        i += 1;
    }
    match text.get(i..) {
        Some([b'\r', b'\n', ..]) => Some(i + 2),
        Some([b'\n', ..]) => Some(i + 1),
        _ => None,
    }
}
