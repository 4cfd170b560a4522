//! Parsing, normalized tokens (for locators) and the normalized syntax
//! digest (for the safety proof of every rewrite).

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use tree_sitter::{Node, Parser, Tree, TreeCursor};

use crate::channel::Swap;
use crate::code::prf::LocatorHasher;
use crate::lang::{KindSet, Lang};
use crate::report::SkipReason;

/// Files larger than this are copied unchanged (bounded memory).
pub const MAX_FILE_BYTES: usize = 32 << 20;

/// A parse taking longer than this is abandoned (the file is copied).
const PARSE_TIMEOUT: Duration = Duration::from_secs(60);

/// A language's kind sets, resolved to kind ids once.
#[derive(Debug)]
pub(crate) struct Kinds {
    pub body: KindSet,
    pub opaque: KindSet,
    pub comment: KindSet,
    pub literal: KindSet,
    pub identifier: KindSet,
    pub blank_exclude_either: KindSet,
    pub blank_exclude_before: KindSet,
    pub blank_exclude_before_containing: KindSet,
    pub blank_exclude_bodiless: KindSet,
    pub docstring: Option<(KindSet, KindSet)>,
    /// Tokens that formatters add or remove freely: `( ) , { } ;`.
    pub ignorable_tokens: KindSet,
}

impl Kinds {
    pub(crate) fn of(lang: Lang) -> &'static Kinds {
        static CACHE: [OnceLock<Kinds>; 2] = [OnceLock::new(), OnceLock::new()];
        let slot = match lang {
            Lang::Rust => &CACHE[0],
            Lang::Python => &CACHE[1],
        };
        slot.get_or_init(|| {
            let table = lang.table();
            let grammar = lang.grammar();
            let set = |names: &[&str]| KindSet::new(&grammar, names);
            Kinds {
                body: set(table.body_kinds),
                opaque: set(table.opaque_kinds),
                comment: set(table.comment_kinds),
                literal: set(table.literal_kinds),
                identifier: set(table.identifier_kinds),
                blank_exclude_either: set(table.blank_exclude_either),
                blank_exclude_before: set(table.blank_exclude_before),
                blank_exclude_before_containing: set(table.blank_exclude_before_containing),
                blank_exclude_bodiless: set(table.blank_exclude_bodiless),
                docstring: table
                    .docstring_kind
                    .map(|(stmt, only)| (set(&[stmt]), set(only))),
                ignorable_tokens: set(&["(", ")", ",", "{", "}", ";"]),
            }
        })
    }
}

/// Source text split from its byte-order mark.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Decoded<'a> {
    pub bom: &'a [u8],
    pub text: &'a str,
}

/// Check that `bytes` is a source file we may parse and rewrite.
pub(crate) fn decode(bytes: &[u8]) -> Result<Decoded<'_>, SkipReason> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(SkipReason::TooLarge { bytes: bytes.len() });
    }
    if let Some(offset) = bytes.iter().position(|&b| b == 0) {
        return Err(SkipReason::Binary {
            byte_offset: offset,
        });
    }
    let (bom, rest) = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => (&bytes[..3], rest),
        None => (&bytes[..0], bytes),
    };
    if let Some(offset) = rest
        .windows(2)
        .position(|w| w[0] == b'\r' && w[1] != b'\n')
        .or_else(|| (rest.last() == Some(&b'\r')).then(|| rest.len() - 1))
    {
        // Python ends a line at a lone CR, tree-sitter does not: the two
        // would disagree on what the program is.
        let (line, column) = line_column(bytes, bom.len() + offset);
        return Err(SkipReason::LoneCarriageReturn { line, column });
    }
    match std::str::from_utf8(rest) {
        Ok(text) => Ok(Decoded { bom, text }),
        Err(err) => {
            let offset = bom.len() + err.valid_up_to();
            let (line, column) = line_column(bytes, offset);
            Err(SkipReason::NotUtf8 { line, column })
        }
    }
}

/// Decode a suspect's bytes for reading only (tracing never edits): as
/// [`decode`], but invalid UTF-8 becomes U+FFFD and a lone CR a line feed
/// (Python ends a line there), so that one such byte, which a leaker can
/// add to any file without changing what it does (a `coding:` line and
/// one Latin-1 byte, a CR in a docstring), cannot hide the whole file.
/// Only the sites whose tokens hold the byte can read differently.
pub(crate) fn decode_for_reading(bytes: &[u8]) -> Result<std::borrow::Cow<'_, str>, SkipReason> {
    match decode(bytes) {
        Ok(decoded) => Ok(std::borrow::Cow::Borrowed(decoded.text)),
        Err(SkipReason::NotUtf8 { .. } | SkipReason::LoneCarriageReturn { .. }) => {
            let rest = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            let lossy = String::from_utf8_lossy(rest);
            let mut text = String::with_capacity(lossy.len());
            let mut chars = lossy.chars().peekable();
            while let Some(c) = chars.next() {
                text.push(if c == '\r' && chars.peek() != Some(&'\n') {
                    '\n'
                } else {
                    c
                });
            }
            Ok(std::borrow::Cow::Owned(text))
        }
        Err(other) => Err(other),
    }
}

/// 1-based line and column (in bytes) of a byte offset.
pub(crate) fn line_column(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = before.len()
        - before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1)
        + 1;
    (line, column)
}

/// A parsed source file.
pub(crate) struct Parsed<'a> {
    pub lang: Lang,
    pub text: &'a str,
    pub tree: Tree,
    pub kinds: &'static Kinds,
    /// Module-level classes by name, with why a subclass of each may see
    /// definition order (`None`: it cannot); computed on first use by the
    /// item-order channel.
    pub class_verdicts: std::cell::OnceCell<std::collections::HashMap<String, Option<String>>>,
}

impl std::fmt::Debug for Parsed<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parsed")
            .field("lang", &self.lang)
            .finish_non_exhaustive()
    }
}

/// Parse `text`; `Err` only when the parser gives up (timeout).
pub(crate) fn parse(lang: Lang, text: &str) -> Result<Parsed<'_>, SkipReason> {
    parse_with(lang, text, None)
}

/// Parse `text` reusing the unchanged subtrees of `old`, a tree already
/// edited (`Tree::edit`) to match `text`.
pub(crate) fn reparse<'a>(lang: Lang, text: &'a str, old: &Tree) -> Result<Parsed<'a>, SkipReason> {
    parse_with(lang, text, Some(old))
}

fn parse_with<'a>(lang: Lang, text: &'a str, old: Option<&Tree>) -> Result<Parsed<'a>, SkipReason> {
    thread_local! {
        /// One parser per thread and language, reused across files.
        static PARSERS: std::cell::RefCell<Vec<(Lang, Parser)>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    let started = Instant::now();
    let mut progress = |_: &tree_sitter::ParseState| {
        if started.elapsed() > PARSE_TIMEOUT {
            std::ops::ControlFlow::Break(())
        } else {
            std::ops::ControlFlow::Continue(())
        }
    };
    let bytes = text.as_bytes();
    let tree = PARSERS.with_borrow_mut(|parsers| {
        let slot = match parsers.iter().position(|(l, _)| *l == lang) {
            Some(slot) => slot,
            None => {
                let mut parser = Parser::new();
                parser
                    .set_language(&lang.grammar())
                    .map_err(|e| SkipReason::Grammar {
                        message: e.to_string(),
                    })?;
                parsers.push((lang, parser));
                parsers.len() - 1
            }
        };
        let parser = &mut parsers[slot].1;
        let options = tree_sitter::ParseOptions::new().progress_callback(&mut progress);
        let tree = parser.parse_with_options(
            &mut |offset, _| bytes.get(offset..).unwrap_or_default(),
            old,
            Some(options),
        );
        if tree.is_none() {
            // A cancelled parse leaves state behind; start clean next time.
            parser.reset();
        }
        tree.ok_or(SkipReason::ParseTimeout)
    })?;
    Ok(Parsed {
        lang,
        text,
        tree,
        kinds: Kinds::of(lang),
        class_verdicts: std::cell::OnceCell::new(),
    })
}

impl Parsed<'_> {
    /// The first ERROR or MISSING node, as a 1-based line and column.
    pub(crate) fn first_error(&self) -> Option<(usize, usize)> {
        let root = self.tree.root_node();
        if !root.has_error() {
            return None;
        }
        let mut cursor = root.walk();
        loop {
            let node = cursor.node();
            if node.is_error() || node.is_missing() {
                let p = node.start_position();
                return Some((p.row + 1, p.column + 1));
            }
            // Descend into the first child that contains an error.
            let mut found = false;
            if cursor.goto_first_child() {
                loop {
                    if cursor.node().has_error() {
                        found = true;
                        break;
                    }
                    if !cursor.goto_next_sibling() {
                        break;
                    }
                }
            }
            if !found {
                let p = node.start_position();
                return Some((p.row + 1, p.column + 1));
            }
        }
    }

    /// Visit every node in preorder; `enter` returns whether to descend.
    /// Iterative, so 10,000-deep trees are fine.
    pub(crate) fn walk<'t>(
        &'t self,
        enter: impl FnMut(Node<'t>) -> bool,
        leave: impl FnMut(Node<'t>),
    ) {
        walk_node(self.tree.root_node(), enter, leave);
    }
}

/// [`Parsed::walk`] over the subtree of one node.
fn walk_node<'t>(
    root: Node<'t>,
    mut enter: impl FnMut(Node<'t>) -> bool,
    mut leave: impl FnMut(Node<'t>),
) {
    let mut cursor: TreeCursor<'t> = root.walk(); // never leaves `root`
    loop {
        let node = cursor.node();
        if enter(node) && cursor.goto_first_child() {
            continue;
        }
        if !finish_subtree(&mut cursor, &mut leave, node) {
            break;
        }
    }
}

/// After visiting `node` (not descending), move to the next node in
/// preorder, calling `leave` on every node whose subtree is finished.
/// Returns false at the end of the tree.
fn finish_subtree<'t>(
    cursor: &mut TreeCursor<'t>,
    leave: &mut impl FnMut(Node<'t>),
    node: Node<'t>,
) -> bool {
    leave(node);
    loop {
        if cursor.goto_next_sibling() {
            return true;
        }
        if !cursor.goto_parent() {
            return false;
        }
        leave(cursor.node());
    }
}

/// A node's normalized tokens for a locator: all of them when there are at
/// most `2 * window`, else the first and last `window`. Tokens are the
/// node's leaves with comments dropped, literals one token each with
/// quotes, escapes, whitespace and case removed, and the punctuation
/// formatters add or drop freely (`( ) , { } ;`) skipped; each is
/// `(normalized hash, is identifier)`. Only the ends of the node are
/// visited.
pub(crate) fn token_window(parsed: &Parsed<'_>, node: Node<'_>, window: usize) -> Vec<(u64, bool)> {
    let mut tokens = Vec::with_capacity(2 * window + 1);
    collect_tokens(parsed, node, false, 2 * window + 1, None, &mut tokens);
    if tokens.len() > 2 * window {
        tokens.truncate(window);
        let first_tail = tokens.len();
        collect_tokens(parsed, node, true, window, None, &mut tokens);
        tokens[first_tail..].reverse();
    }
    tokens
}

/// Up to `limit` normalized tokens from the start of `node`, leaving out
/// the subtree `skip` (an item's body, for its header).
pub(crate) fn head_tokens(
    parsed: &Parsed<'_>,
    node: Node<'_>,
    limit: usize,
    skip: Option<Node<'_>>,
) -> Vec<(u64, bool)> {
    let mut tokens = Vec::with_capacity(limit);
    collect_tokens(
        parsed,
        node,
        false,
        limit,
        skip.map(|n| n.id()),
        &mut tokens,
    );
    tokens
}

/// Feed token windows to a locator hasher. Identifiers are fed as their
/// order of first appearance in `names` (shared by all windows of one
/// locator), so a consistent renaming does not move the locator.
pub(crate) fn feed_tokens(
    tokens: &[(u64, bool)],
    names: &mut Vec<u64>,
    hasher: &mut LocatorHasher,
) {
    hasher.update(&[0xff]);
    for &(hash, identifier) in tokens {
        if identifier {
            let index = names.iter().position(|&n| n == hash).unwrap_or_else(|| {
                names.push(hash);
                names.len() - 1
            });
            hasher.update(&[0xfd]).update(&(index as u32).to_le_bytes());
        } else {
            hasher.update(&hash.to_le_bytes());
        }
    }
}

/// Append up to `limit` tokens of `node`'s subtree to `out`, from its start
/// (or, in reverse order, from its end when `from_end`).
fn collect_tokens(
    parsed: &Parsed<'_>,
    node: Node<'_>,
    from_end: bool,
    limit: usize,
    skip_node: Option<usize>,
    out: &mut Vec<(u64, bool)>,
) {
    let kinds = parsed.kinds;
    let limit = out.len() + limit;
    let mut cursor = node.walk(); // rooted at `node`: never leaves it
    loop {
        let node = cursor.node();
        let id = node.kind_id();
        let skip = kinds.comment.contains(id)
            || node.is_extra() && node.child_count() == 0
            || Some(node.id()) == skip_node;
        let literal = kinds.literal.contains(id);
        let token = !skip && (literal || node.child_count() == 0);
        if token && node.start_byte() < node.end_byte() && !kinds.ignorable_tokens.contains(id) {
            let raw = parsed
                .text
                .get(node.start_byte()..node.end_byte())
                .unwrap_or_default();
            out.push((normalized_hash(raw, literal), kinds.identifier.contains(id)));
            if out.len() >= limit {
                return;
            }
        }
        let descend = !skip && !token;
        if descend
            && if from_end {
                cursor.goto_last_child()
            } else {
                cursor.goto_first_child()
            }
        {
            continue;
        }
        loop {
            if if from_end {
                cursor.goto_previous_sibling()
            } else {
                cursor.goto_next_sibling()
            } {
                break;
            }
            if !cursor.goto_parent() {
                return;
            }
        }
    }
}

/// FNV-1a (stable across versions and machines) of a token's normalized
/// text. Literals lose quotes, backslashes, whitespace, case and a Python
/// `u` prefix, which black and other formatters change freely.
fn normalized_hash(raw: &str, literal: bool) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |b: u8| {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    };
    if literal {
        let raw = match raw.as_bytes() {
            [b'u' | b'U', b'"' | b'\'', ..] => &raw[1..],
            _ => raw,
        };
        for c in raw.chars() {
            if c.is_whitespace() || matches!(c, '"' | '\'' | '\\') {
                continue;
            }
            for lower in c.to_lowercase() {
                let mut buf = [0u8; 4];
                lower.encode_utf8(&mut buf).bytes().for_each(&mut feed);
            }
        }
    } else {
        raw.bytes().for_each(&mut feed);
    }
    hash
}

/// The nodes channels start from, found in one walk that never descends
/// into a node on a single line (it cannot hold a gap between lines), a
/// comment, a literal or an opaque subtree: walking every node costs a
/// sizeable fraction of parsing.
pub(crate) struct Index<'t> {
    /// Body nodes (statement and item lists), in preorder.
    pub bodies: Vec<Node<'t>>,
    /// Start bytes of the kinds in `blank_exclude_before_containing`,
    /// sorted.
    pub containing_starts: Vec<usize>,
}

impl std::fmt::Debug for Index<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index")
            .field("bodies", &self.bodies.len())
            .finish_non_exhaustive()
    }
}

/// Build the [`Index`] of a parsed file.
pub(crate) fn index<'t>(parsed: &'t Parsed<'_>) -> Index<'t> {
    let kinds = parsed.kinds;
    let mut index = Index {
        bodies: Vec::new(),
        containing_starts: Vec::new(),
    };
    parsed.walk(
        |node| {
            let id = node.kind_id();
            if kinds.blank_exclude_before_containing.contains(id) {
                index.containing_starts.push(node.start_byte());
            }
            let multi_line = node.start_position().row < node.end_position().row;
            if !multi_line
                || kinds.opaque.contains(id)
                || kinds.comment.contains(id)
                || kinds.literal.contains(id)
            {
                return false;
            }
            if kinds.body.contains(id) {
                index.bodies.push(node);
            }
            true
        },
        |_| {},
    );
    index
}

/// The normalized syntax digest: tree shape, node kinds and token texts,
/// with whitespace and comments removed. Two files with the same digest and
/// no parse errors mean the same program.
pub(crate) fn syntax_digest(parsed: &Parsed<'_>) -> blake3::Hash {
    let kinds = parsed.kinds;
    let digest = std::cell::RefCell::new(Digest::new(parsed.text));
    parsed.walk(
        |node| digest.borrow_mut().enter(kinds, node),
        |node| digest.borrow_mut().leave(kinds, node),
    );
    digest.into_inner().finish()
}

/// The digest `parsed` would have if the two sibling extents of each swap
/// traded places: comparing it with the digest of a rewritten file proves
/// the rewrite did exactly that and nothing else. Iterative.
pub(crate) fn syntax_digest_swapped(parsed: &Parsed<'_>, swaps: &[Swap]) -> blake3::Hash {
    enum Step<'t> {
        Enter(Node<'t>),
        Leave(Node<'t>),
        /// Stray bytes between siblings, which stay in place while the
        /// siblings around them are exchanged.
        Gap(usize, usize),
    }
    if swaps.is_empty() {
        return syntax_digest(parsed);
    }
    let kinds = parsed.kinds;
    let mut swaps = swaps.to_vec();
    swaps.sort_unstable_by_key(|s| s.first.0);
    let mut digest = Digest::new(parsed.text);
    let by_parent = swaps_by_parent(&swaps);
    // Only swaps starting inside the node can lie inside it.
    let holds_swap = |n: Node<'_>| {
        let from = swaps.partition_point(|s| s.first.0 < n.start_byte());
        swaps[from..]
            .iter()
            .take_while(|s| s.first.0 <= n.end_byte())
            .any(|s| s.second.1 <= n.end_byte())
    };
    let root = parsed.tree.root_node();
    let mut stack = vec![Step::Enter(root)];
    let mut cursor = parsed.tree.walk();
    while let Some(step) = stack.pop() {
        let node = match step {
            Step::Leave(node) => {
                digest.leave(kinds, node);
                continue;
            }
            Step::Gap(from, to) => {
                // Fed before the next token, as in a walk of the new text.
                digest.pending.push((from, to));
                continue;
            }
            Step::Enter(node) => node,
        };
        // Gaps are fed by `Step::Gap`, in the order of the new text.
        digest.last_end = node.start_byte();
        if !holds_swap(node) {
            let cell = std::cell::RefCell::new(&mut digest);
            walk_node(
                node,
                |n| cell.borrow_mut().enter(kinds, n),
                |n| cell.borrow_mut().leave(kinds, n),
            );
            // Stray bytes at the end of the node move with it.
            if digest.last_end < node.end_byte() {
                let from = digest.last_end;
                digest.pending.push((from, node.end_byte()));
            }
            continue;
        }
        if !digest.enter(kinds, node) {
            digest.leave(kinds, node);
            continue;
        }
        let children: Vec<Node<'_>> = node.children(&mut cursor).collect();
        // The k-th gap (before the k-th child, in text order) stays in
        // place: in the new text it precedes the k-th child of the new
        // order.
        let mut gaps = Vec::with_capacity(children.len() + 1);
        let mut at = node.start_byte();
        for child in &children {
            gaps.push((at, child.start_byte().max(at)));
            at = at.max(child.end_byte());
        }
        let tail = (at, node.end_byte().max(at));
        let order = if let Some(mine) = by_parent.get(&node.id()) {
            permuted(&children, mine).unwrap_or_else(|| {
                // Malformed: make the digests differ.
                digest.feed(&[0xee]);
                children
            })
        } else {
            children
        };
        stack.push(Step::Leave(node));
        stack.push(Step::Gap(tail.0, tail.1));
        for (child, gap) in order.into_iter().zip(gaps).rev() {
            stack.push(Step::Enter(child));
            stack.push(Step::Gap(gap.0, gap.1));
        }
    }
    digest.last_end = root.end_byte();
    digest.finish()
}

/// Whether `new`, re-parsed incrementally from an edited copy of
/// `original`'s tree after edits that replaced whitespace with whitespace
/// and exchanged the sibling extents of `swaps`, is the same program up to
/// exactly those exchanges: same tree shape, node kinds and token
/// texts, comments aside. Inner nodes the incremental parse reused from the
/// original are the same objects (equal ids) and are not descended into;
/// leaves are always compared by text (small leaves are stored inline, so
/// their ids do not identify them). Equivalent to comparing
/// [`syntax_digest`]s for such edits, and much cheaper: only the paths to
/// the edits are visited. Debug builds check the equivalence every time.
pub(crate) fn same_program(original: &Parsed<'_>, new: &Parsed<'_>, swaps: &[Swap]) -> bool {
    let kinds = original.kinds;
    let is_leaf = |n: Node<'_>| kinds.literal.contains(n.kind_id()) || n.child_count() == 0;
    let by_parent = swaps_by_parent(swaps);
    let mut stack = vec![(original.tree.root_node(), new.tree.root_node())];
    let (mut cursor_a, mut cursor_b) = (original.tree.walk(), new.tree.walk());
    let (mut kids_a, mut kids_b) = (Vec::new(), Vec::new());
    while let Some((a, b)) = stack.pop() {
        if a.kind_id() != b.kind_id()
            || a.is_missing() != b.is_missing()
            || is_leaf(a) != is_leaf(b)
        {
            return false;
        }
        if is_leaf(a) {
            let text_a = original.text.get(a.start_byte()..a.end_byte());
            let text_b = new.text.get(b.start_byte()..b.end_byte());
            if text_a != text_b {
                return false;
            }
            continue;
        }
        if a.id() == b.id() {
            continue; // a reused inner node: the same subtree
        }
        let not_comment = |n: &Node<'_>| !kinds.comment.contains(n.kind_id());
        kids_a.clear();
        kids_a.extend(a.children(&mut cursor_a));
        if let Some(mine) = by_parent.get(&a.id()) {
            match permuted(&kids_a, mine) {
                Some(order) => kids_a = order,
                None => return false,
            }
        }
        kids_a.retain(not_comment);
        kids_b.clear();
        kids_b.extend(b.children(&mut cursor_b).filter(not_comment));
        if kids_a.len() != kids_b.len() {
            return false;
        }
        stack.extend(kids_a.iter().copied().zip(kids_b.iter().copied()));
    }
    true
}

/// Swaps by the id of the parent whose children they exchange, each
/// parent's sorted by position: one lookup per visited node, however many
/// swaps a file has.
fn swaps_by_parent(swaps: &[Swap]) -> std::collections::HashMap<usize, Vec<Swap>> {
    let mut by_parent: std::collections::HashMap<usize, Vec<Swap>> =
        std::collections::HashMap::new();
    for swap in swaps {
        by_parent.entry(swap.parent).or_default().push(*swap);
    }
    for mine in by_parent.values_mut() {
        mine.sort_unstable_by_key(|s| s.first.0);
    }
    by_parent
}

/// `children` (in text order) with the extents of each of `mine` (the
/// swaps of their parent, sorted by position) exchanged; `None` if a swap
/// does not fit the children. Linear in the children plus `log n` per
/// swap, so a body of many thousand moved items stays cheap.
fn permuted<'t>(children: &[Node<'t>], mine: &[Swap]) -> Option<Vec<Node<'t>>> {
    let at = |offset: usize| children.partition_point(|c| c.start_byte() < offset);
    let mut order = Vec::with_capacity(children.len());
    let mut next = 0;
    for swap in mine {
        let (a0, a1) = (at(swap.first.0), at(swap.first.1));
        let (b0, b1) = (at(swap.second.0), at(swap.second.1));
        if a0 < next || !(a0 <= a1 && a1 <= b0 && b0 <= b1) {
            return None;
        }
        order.extend_from_slice(&children[next..a0]);
        order.extend_from_slice(&children[b0..b1]);
        order.extend_from_slice(&children[a1..b0]);
        order.extend_from_slice(&children[a0..a1]);
        next = b1;
    }
    order.extend_from_slice(&children[next..]);
    Some(order)
}

/// The digest as a visitor, so that it can share a walk. Bytes are
/// buffered: feeding BLAKE3 one token at a time costs more than the walk.
struct Digest<'t> {
    hasher: blake3::Hasher,
    buffer: Vec<u8>,
    text: &'t str,
    last_end: usize,
    /// Byte ranges whose stray bytes come before the next token (the
    /// digest of a permuted tree visits text out of order).
    pending: Vec<(usize, usize)>,
}

impl<'t> Digest<'t> {
    const FLUSH: usize = 1 << 16;

    fn new(text: &'t str) -> Self {
        Digest {
            hasher: blake3::Hasher::new(),
            buffer: Vec::with_capacity(Self::FLUSH + 1024),
            text,
            last_end: 0,
            pending: Vec::new(),
        }
    }

    fn feed(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= Self::FLUSH {
            self.hasher.update(&self.buffer);
            self.buffer.clear();
        }
    }

    /// Hash the bytes between the previous token and `to` that are not
    /// whitespace (none in a sane grammar, but never trust that).
    fn residue(&mut self, to: usize) {
        let text = self.text;
        for (from, until) in std::mem::take(&mut self.pending) {
            for b in text.get(from..until).unwrap_or_default().bytes() {
                if !b.is_ascii_whitespace() {
                    self.feed(&[0xfe, b]);
                }
            }
        }
        if let Some(gap) = text.get(self.last_end..to) {
            for b in gap.bytes().filter(|b| !b.is_ascii_whitespace()) {
                self.feed(&[0xfe, b]);
            }
        }
        self.last_end = self.last_end.max(to);
    }

    /// Returns whether to descend (same rule as the token walk).
    fn enter(&mut self, kinds: &Kinds, node: Node<'_>) -> bool {
        let id = node.kind_id();
        if kinds.comment.contains(id) {
            self.residue(node.start_byte());
            self.last_end = self.last_end.max(node.end_byte());
            return false;
        }
        let [lo, hi] = id.to_le_bytes();
        self.feed(&[0x01, lo, hi, u8::from(node.is_missing())]);
        if kinds.literal.contains(id) || node.child_count() == 0 {
            self.residue(node.start_byte());
            let text = self.text;
            let raw = text
                .get(node.start_byte()..node.end_byte())
                .unwrap_or_default();
            self.feed(&(raw.len() as u64).to_le_bytes());
            self.feed(raw.as_bytes());
            self.last_end = self.last_end.max(node.end_byte());
            return false;
        }
        true
    }

    fn leave(&mut self, kinds: &Kinds, node: Node<'_>) {
        if !kinds.comment.contains(node.kind_id()) {
            self.feed(&[0x03]);
        }
    }

    fn finish(mut self) -> blake3::Hash {
        self.residue(self.text.len());
        self.hasher.update(&self.buffer);
        self.hasher.finalize()
    }
}
