//! Parsing, normalized tokens (for locators) and the normalized syntax
//! digest (for the safety proof of every rewrite).

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use tree_sitter::{Node, Parser, Tree, TreeCursor};

use crate::channel::Swap;
use crate::code::prf::LocatorHasher;
use crate::lang::{KindSet, Lang};
use crate::report::SkipReason;

/// Files larger than this are copied unchanged by `tag` and reported,
/// not read, by `trace`. Memory: a tree-sitter tree takes about 150 times
/// its file's size (a 6 MB file of short statements: 0.9 GB), tagging or
/// tracing about 210 times, so one such file takes up to 1.8 GB per
/// thread. Source files that large are generated data in practice.
pub const MAX_FILE_BYTES: usize = 8 << 20;

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
    /// The item-order table's `call_kinds` and `marker_kinds`.
    pub call: KindSet,
    pub marker: KindSet,
    /// The item-order table's `deferred`: `(parent kinds, field)`.
    pub deferred: Vec<(KindSet, &'static str)>,
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
                call: set(table.order.call_kinds),
                marker: set(table.order.marker_kinds),
                deferred: table
                    .order
                    .deferred
                    .iter()
                    .map(|&(parent, field)| (set(&[parent]), field))
                    .collect(),
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
    // `contains` on bytes is a memchr: the common clean file is scanned
    // fast, the position found only when there is one.
    if let Some(offset) = bytes
        .contains(&0)
        .then(|| bytes.iter().position(|&b| b == 0))
        .flatten()
    {
        return Err(SkipReason::Binary {
            byte_offset: offset,
        });
    }
    let (bom, rest) = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => (&bytes[..3], rest),
        None => (&bytes[..0], bytes),
    };
    let lone_cr = || {
        rest.windows(2)
            .position(|w| w[0] == b'\r' && w[1] != b'\n')
            .or_else(|| (rest.last() == Some(&b'\r')).then(|| rest.len() - 1))
    };
    if let Some(offset) = rest.contains(&b'\r').then(lone_cr).flatten() {
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

/// A byte range a tag leaves alone ([`Parsed::error_extents`]), with the
/// 1-based lines of its first and last byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ErrorExtent {
    pub start: usize,
    pub end: usize,
    pub first_line: usize,
    pub last_line: usize,
}

impl ErrorExtent {
    /// From the start of `first` to the end of `last`.
    fn between(first: Node<'_>, last: Node<'_>) -> Self {
        let end = last.end_position();
        // A node that ends with a line break ends at column 0 of the next
        // line; its last byte is on the line before.
        let last_line = if end.column == 0 && end.row > first.start_position().row {
            end.row
        } else {
            end.row + 1
        };
        ErrorExtent {
            start: first.start_byte(),
            end: last.end_byte(),
            first_line: first.start_position().row + 1,
            last_line,
        }
    }
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
    /// Every normalized token of the file, built on the first token
    /// window asked for (`None` for a text too long to index).
    tokens: std::cell::OnceCell<Option<FileTokens>>,
    /// The tree as [`same_program`] reads it: recorded by the index walk
    /// when tagging (see [`index_for_tagging`]), else built on first use.
    shape: std::cell::OnceCell<Shape>,
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
        tokens: std::cell::OnceCell::new(),
        shape: std::cell::OnceCell::new(),
    })
}

impl Parsed<'_> {
    fn file_tokens(&self) -> Option<&FileTokens> {
        self.tokens.get_or_init(|| FileTokens::new(self)).as_ref()
    }

    /// Make sure the tree's [`Shape`] is recorded, before the tree is
    /// edited in place (see `apply_checked`).
    pub(crate) fn record_shape(&self) {
        let _ = self.shape();
    }

    fn shape(&self) -> &Shape {
        self.shape.get_or_init(|| {
            // Before `apply_checked` edits the tree in place, never after.
            debug_assert!(
                !self.tree.root_node().has_changes(),
                "the shape of an edited tree"
            );
            let shape = std::cell::RefCell::new(Shape::for_tree(&self.tree));
            self.walk(
                |node| {
                    let children = node.child_count() > 0;
                    shape
                        .borrow_mut()
                        .enter(self.kinds, node, node.kind_id(), children);
                    true
                },
                |_| shape.borrow_mut().leave(),
            );
            shape.into_inner()
        })
    }

    /// Refuse a file whose code reads its own line numbers (see
    /// [`Parsed::line_observer`]).
    pub(crate) fn refuse_line_observers(&self) -> Result<(), SkipReason> {
        match self.line_observer() {
            None => Ok(()),
            Some((offset, (name, then))) => {
                let (line, column) = line_column(self.text.as_bytes(), offset);
                Err(SkipReason::ObservesLineNumbers {
                    what: format!("{name}{then}"),
                    line,
                    column,
                })
            }
        }
    }

    /// The first place where the code reads its own line numbers (the
    /// language table's `line_observers`): its byte offset and what was
    /// found there. Comments and the insides of strings do not count.
    pub(crate) fn line_observer(&self) -> Option<(usize, (&'static str, &'static str))> {
        let observers = self.lang.table().line_observers;
        let tokens = self.file_tokens()?;
        let text = self.text.as_bytes();
        let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
        // The lengths of the names as bits (64 and more: every bit), so
        // that most tokens are passed over on their length alone.
        let bit = |len: usize| {
            u32::try_from(len)
                .ok()
                .and_then(|len| 1u64.checked_shl(len))
                .unwrap_or(u64::MAX)
        };
        let lengths = observers
            .iter()
            .fold(0, |bits, (name, _)| bits | bit(name.len()));
        tokens.spans.iter().find_map(|&(start, end)| {
            let (start, end) = (start as usize, end as usize);
            if lengths & bit(end - start) == 0 {
                return None;
            }
            let token = &text[start..end];
            let &found = observers.iter().find(|(name, then)| {
                if token != name.as_bytes() {
                    return false;
                }
                // `then`, whitespace allowed before each of its bytes,
                // not running on into an identifier.
                let mut at = end;
                for &want in then.as_bytes() {
                    while text.get(at).is_some_and(u8::is_ascii_whitespace) {
                        at += 1;
                    }
                    if text.get(at) != Some(&want) {
                        return false;
                    }
                    at += 1;
                }
                then.is_empty() || !text.get(at).copied().is_some_and(ident)
            })?;
            Some((start, found))
        })
    }

    /// The byte ranges a tag leaves alone in a file with syntax errors,
    /// sorted and merged; empty for a file without.
    ///
    /// The parser rejected something there, so its reading of the code
    /// around it is not trusted: for each ERROR or MISSING node, the
    /// innermost item of the language table's order list around it (a
    /// function, an impl, a class), or the top-level statement when there
    /// is none, together with that item's neighbouring siblings (an
    /// attribute or decorator the error may have detached from the item
    /// it belongs to). An error between top-level statements or items (a
    /// stray `}` after a block the parser closed too early, say) means the
    /// parser lost track of where they begin and end: the whole file is
    /// left alone. Everything else parsed cleanly and is as safe to edit
    /// as in a file without errors.
    pub(crate) fn error_extents<'t>(&'t self) -> Vec<ErrorExtent> {
        let root = self.tree.root_node();
        if !root.has_error() {
            return Vec::new();
        }
        let whole = vec![ErrorExtent::between(root, root)];
        if root.is_error() || root.is_missing() {
            return whole;
        }
        let items = self.lang.table().order.items;
        let comment = |n: &Node<'_>| self.kinds.comment.contains(n.kind_id());
        // The nearest sibling that is not a comment, stepping with `step`.
        let beside = |mut n: Option<Node<'t>>, step: fn(&Node<'t>) -> Option<Node<'t>>| {
            while let Some(c) = n.filter(comment) {
                n = step(&c);
            }
            n
        };
        let mut out = Vec::new();
        // Depth-first through the subtrees that hold an error, with the
        // path from the root: `Node::parent` would search from the root
        // again for every error.
        let mut path: Vec<Node<'_>> = Vec::new();
        let mut stack = vec![(root, 0usize)];
        while let Some((node, depth)) = stack.pop() {
            path.truncate(depth);
            if depth > 0 && (node.is_error() || node.is_missing()) {
                if depth == 1 {
                    // Between top-level statements: see above.
                    return whole;
                }
                // The innermost item around the error, else the top-level
                // statement (`path[1]`); either holds any body the error
                // stands in.
                let around = path
                    .iter()
                    .skip(1)
                    .rev()
                    .find(|n| items.contains(&n.kind()))
                    .or(path.get(1))
                    .copied()
                    .unwrap_or(node);
                out.push(ErrorExtent::between(
                    beside(around.prev_sibling(), Node::prev_sibling).unwrap_or(around),
                    beside(around.next_sibling(), Node::next_sibling).unwrap_or(around),
                ));
                continue;
            }
            path.push(node);
            let mut cursor = node.walk();
            let children: Vec<Node<'_>> = node
                .children(&mut cursor)
                .filter(|c| c.has_error() || c.is_missing())
                .collect();
            stack.extend(children.into_iter().rev().map(|c| (c, depth + 1)));
        }
        out.sort_unstable_by_key(|e| e.start);
        let mut merged: Vec<ErrorExtent> = Vec::with_capacity(out.len());
        for extent in out {
            match merged.last_mut() {
                Some(last) if extent.start <= last.end => {
                    last.end = last.end.max(extent.end);
                    last.last_line = last.last_line.max(extent.last_line);
                }
                _ => merged.push(extent),
            }
        }
        merged
    }

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

/// A normalized token: `(normalized hash, is identifier)`.
pub(crate) type Token = (u64, bool);

/// A node's normalized tokens for a locator: all of them when there are at
/// most `2 * window`, else the first and last `window`. Tokens are the
/// node's leaves with comments dropped, literals one token each with
/// quotes, escapes, whitespace and case removed, and the punctuation
/// formatters add or drop freely (`( ) , { } ;`) skipped; each is
/// `(normalized hash, is identifier)`.
pub(crate) fn token_window<'p>(
    parsed: &'p Parsed<'_>,
    node: Node<'_>,
    window: usize,
) -> Window<'p> {
    if let Some((file, range)) = parsed
        .file_tokens()
        .and_then(|file| Some((file, file.range(node)?)))
    {
        let tokens = &file.tokens[range];
        let found = if tokens.len() > 2 * window {
            Window::Slices(&tokens[..window], &tokens[tokens.len() - window..])
        } else {
            Window::Slices(tokens, &[])
        };
        // Debug builds (the test suite over the corpus, the fuzz target)
        // check the list against a walk of the node's own subtree.
        debug_assert_eq!(
            found.parts().concat(),
            walked_window(parsed, node, window),
            "token list and subtree walk disagree"
        );
        return found;
    }
    Window::Owned(walked_window(parsed, node, window))
}

/// [`token_window`] by walking the ends of `node`'s subtree.
fn walked_window(parsed: &Parsed<'_>, node: Node<'_>, window: usize) -> Vec<Token> {
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

/// The tokens of a window: borrowed from the file's token list, or
/// collected from the node's subtree (a node the list cannot answer for).
#[derive(Debug)]
pub(crate) enum Window<'p> {
    Slices(&'p [Token], &'p [Token]),
    Owned(Vec<Token>),
}

impl Window<'_> {
    fn parts(&self) -> [&[Token]; 2] {
        match self {
            Window::Slices(head, tail) => [head, tail],
            Window::Owned(tokens) => [tokens, &[]],
        }
    }
}

/// Up to `limit` normalized tokens from the start of `node`, leaving out
/// the subtree `skip` (an item's body, for its header).
pub(crate) fn head_tokens<'p>(
    parsed: &'p Parsed<'_>,
    node: Node<'_>,
    limit: usize,
    skip: Node<'_>,
) -> Window<'p> {
    if let Some(file) = parsed.file_tokens() {
        if let (Some(range), Some(skipped)) = (file.range(node), file.range(skip)) {
            // The skipped subtree's tokens are one run inside the node's.
            let inside = |i: usize| i.clamp(range.start, range.end);
            let head = &file.tokens[range.start..inside(skipped.start)];
            let tail = &file.tokens[inside(skipped.end)..range.end];
            let head = &head[..head.len().min(limit)];
            let tail = &tail[..tail.len().min(limit - head.len())];
            let found = Window::Slices(head, tail);
            debug_assert_eq!(
                found.parts().concat(),
                walked_head(parsed, node, limit, skip),
                "token list and subtree walk disagree"
            );
            return found;
        }
    }
    Window::Owned(walked_head(parsed, node, limit, skip))
}

/// [`head_tokens`] by walking `node`'s subtree.
fn walked_head(parsed: &Parsed<'_>, node: Node<'_>, limit: usize, skip: Node<'_>) -> Vec<Token> {
    let mut tokens = Vec::with_capacity(limit);
    collect_tokens(parsed, node, false, limit, Some(skip.id()), &mut tokens);
    tokens
}

/// Every normalized token of a file in order, with its byte range, from
/// one walk of the tree: a window is then two binary searches instead of
/// a walk of the node's ends (which cost a fifth of a scan).
#[derive(Debug)]
struct FileTokens {
    kinds: &'static Kinds,
    /// Byte range of each token.
    spans: Vec<(u32, u32)>,
    tokens: Vec<Token>,
    /// Subtrees the walk did not enter that have children (comments,
    /// literals): `(start, end, node id)`, sorted and disjoint. A node
    /// inside one is answered by walking its own subtree.
    unentered: Vec<(u32, u32, usize)>,
}

impl FileTokens {
    /// Walk the whole tree once, with `collect_tokens`' rules.
    fn new(parsed: &Parsed<'_>) -> Option<FileTokens> {
        let mut file = FileTokens::builder(parsed)?;
        parsed.walk(|node| file.enter(parsed.text, node), |_| {});
        Some(file)
    }

    /// An empty list to fill by calling [`FileTokens::enter`] on every node
    /// of a preorder walk; `None` for a text whose offsets overflow `u32`.
    fn builder(parsed: &Parsed<'_>) -> Option<FileTokens> {
        u32::try_from(parsed.text.len()).ok()?;
        Some(FileTokens {
            kinds: parsed.kinds,
            // Most files have about one token for every two nodes.
            spans: Vec::with_capacity(parsed.tree.root_node().descendant_count() / 2),
            tokens: Vec::with_capacity(parsed.tree.root_node().descendant_count() / 2),
            unentered: Vec::new(),
        })
    }
    /// List `node` if it is a token; whether the walk should descend.
    fn enter(&mut self, text: &str, node: Node<'_>) -> bool {
        self.enter_known(text, node, node.kind_id(), node.child_count() > 0)
    }

    /// [`FileTokens::enter`] given the node's kind and whether it has
    /// children, which the caller read already.
    fn enter_known(&mut self, text: &str, node: Node<'_>, id: u16, children: bool) -> bool {
        let kinds = self.kinds;
        let skip = kinds.comment.contains(id) || !children && node.is_extra();
        let literal = kinds.literal.contains(id);
        let token = !skip && (literal || !children);
        let descend = !skip && !token;
        if descend {
            return true;
        }
        let (start, end) = (node.start_byte(), node.end_byte());
        // In range: the builder checked that the text's length fits.
        let offset = |byte: usize| byte as u32;
        if token && start < end && !kinds.ignorable_tokens.contains(id) {
            let raw = text.get(start..end).unwrap_or_default();
            self.spans.push((offset(start), offset(end)));
            self.tokens
                .push((normalized_hash(raw, literal), kinds.identifier.contains(id)));
        }
        if children && start < end {
            self.unentered.push((offset(start), offset(end), node.id()));
        }
        false
    }

    /// The index range of `node`'s tokens, or `None` when the walk did not
    /// enter the node (it lies inside a comment or a literal).
    fn range(&self, node: Node<'_>) -> Option<std::ops::Range<usize>> {
        let (start, end) = (
            u32::try_from(node.start_byte()).ok()?,
            u32::try_from(node.end_byte()).ok()?,
        );
        let before = self.unentered.partition_point(|&(s, _, _)| s <= start);
        if let Some(&(_, e, id)) = before.checked_sub(1).map(|i| &self.unentered[i]) {
            if end <= e && id != node.id() {
                return None;
            }
        }
        let first = self.spans.partition_point(|&(s, _)| s < start);
        let last = self.spans.partition_point(|&(_, e)| e <= end);
        Some(first..last.max(first))
    }
}

/// Feed token windows to a locator hasher. Identifiers are fed as their
/// order of first appearance in `names` (shared by all windows of one
/// locator), so a consistent renaming does not move the locator.
pub(crate) fn feed_tokens(window: &Window<'_>, names: &mut Vec<u64>, hasher: &mut LocatorHasher) {
    // One update for the whole window: each call into the hasher costs
    // more than the few bytes a token adds.
    let mut bytes =
        Vec::with_capacity(1 + 8 * window.parts().iter().map(|p| p.len()).sum::<usize>());
    bytes.push(0xff);
    for &(hash, identifier) in window.parts().into_iter().flatten() {
        if identifier {
            let index = names.iter().position(|&n| n == hash).unwrap_or_else(|| {
                names.push(hash);
                names.len() - 1
            });
            bytes.push(0xfd);
            bytes.extend_from_slice(&(index as u32).to_le_bytes());
        } else {
            bytes.extend_from_slice(&hash.to_le_bytes());
        }
    }
    hasher.update(&bytes);
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
            if c.is_ascii() {
                // The common case, byte for byte what the loop below gives.
                let b = c as u8;
                if !b.is_ascii_whitespace() && b != 0x0b && !matches!(b, b'"' | b'\'' | b'\\') {
                    feed(b.to_ascii_lowercase());
                }
                continue;
            }
            if c.is_whitespace() {
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

/// The nodes channels start from, found in the walk that lists the file's
/// tokens, never below a node on a single line (it cannot hold a gap
/// between lines), a comment, a literal or an opaque subtree.
pub(crate) struct Index<'t> {
    /// Body nodes (statement and item lists), in preorder.
    pub bodies: Vec<Node<'t>>,
    /// For each body, its ancestors from the parent up (at most
    /// [`ANCESTORS`]): `Node::parent` walks down from the root each time.
    pub ancestors: Vec<Vec<Node<'t>>>,
    /// For each body, its children as the walk met them (comments and
    /// anonymous nodes too, as `Node::children` lists them).
    children: Vec<Vec<Node<'t>>>,
    /// Each body's position in `bodies`, by node id.
    slots: std::collections::HashMap<usize, usize>,
    /// Start bytes of the kinds in `blank_exclude_before_containing`,
    /// sorted.
    pub containing_starts: Vec<usize>,
}

impl<'t> Index<'t> {
    /// The children of `body`: as the walk met them if it is one of
    /// `bodies` (`Node::children` would walk them again), else walked.
    pub(crate) fn children(&self, body: Node<'t>) -> std::borrow::Cow<'_, [Node<'t>]> {
        match self.slots.get(&body.id()) {
            Some(&slot) => std::borrow::Cow::Borrowed(&self.children[slot]),
            None => std::borrow::Cow::Owned(body.children(&mut body.walk()).collect()),
        }
    }
}

impl std::fmt::Debug for Index<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index")
            .field("bodies", &self.bodies.len())
            .finish_non_exhaustive()
    }
}

/// Build the [`Index`] of a parsed file.
/// How many ancestors [`Index::ancestors`] keeps.
pub(crate) const ANCESTORS: usize = 4;

pub(crate) fn index<'t>(parsed: &'t Parsed<'_>) -> Index<'t> {
    index_recording(parsed, false)
}

/// [`index`], and the tree's [`Shape`] from the same walk: verifying the
/// tagged file then walks only its own tree.
pub(crate) fn index_for_tagging<'t>(parsed: &'t Parsed<'_>) -> Index<'t> {
    index_recording(parsed, true)
}

fn index_recording<'t>(parsed: &'t Parsed<'_>, record_shape: bool) -> Index<'t> {
    let kinds = parsed.kinds;
    let mut index = Index {
        bodies: Vec::new(),
        ancestors: Vec::new(),
        children: Vec::new(),
        slots: std::collections::HashMap::new(),
        containing_starts: Vec::new(),
    };
    // The nodes from the root down to the one visited, each with its slot
    // in `index.bodies` if it is listed there.
    let path: std::cell::RefCell<Vec<(Node<'t>, Option<usize>)>> = std::cell::RefCell::default();
    // The same walk lists the file's tokens (it must visit every node for
    // them), so the index only skips the nodes under `blocker`, the
    // outermost node it would not descend into.
    let mut tokens = FileTokens::builder(parsed);
    let blocker = std::cell::Cell::new(None);
    let shape = std::cell::RefCell::new(if record_shape {
        Shape::for_tree(&parsed.tree)
    } else {
        Shape::default()
    });
    parsed.walk(
        |node| {
            let id = node.kind_id();
            let children = node.child_count() > 0;
            if record_shape {
                shape.borrow_mut().enter(kinds, node, id, children);
            }
            let mut path = path.borrow_mut();
            if let Some(&(_, Some(slot))) = path.last() {
                index.children[slot].push(node);
            }
            let descend = match tokens.as_mut() {
                Some(tokens) => tokens.enter_known(parsed.text, node, id, children),
                None => true,
            };
            if blocker.get().is_some() {
                path.push((node, None));
                return descend;
            }
            if kinds.blank_exclude_before_containing.contains(id) {
                index.containing_starts.push(node.start_byte());
            }
            let multi_line = node.start_position().row < node.end_position().row;
            if !multi_line
                || kinds.opaque.contains(id)
                || kinds.comment.contains(id)
                || kinds.literal.contains(id)
            {
                if descend {
                    blocker.set(Some(node.id()));
                }
                path.push((node, None));
                return descend;
            }
            let mut slot = None;
            if kinds.body.contains(id) {
                slot = Some(index.bodies.len());
                index.slots.insert(node.id(), index.bodies.len());
                index.bodies.push(node);
                let ancestors = path.iter().rev().take(ANCESTORS).map(|&(n, _)| n).collect();
                index.ancestors.push(ancestors);
                index.children.push(Vec::new());
            }
            path.push((node, slot));
            true
        },
        |node| {
            if record_shape {
                shape.borrow_mut().leave();
            }
            path.borrow_mut().pop();
            if blocker.get() == Some(node.id()) {
                blocker.set(None);
            }
        },
    );
    // Only this function sets them; a window asked for before it built its own.
    let _ = parsed.tokens.set(tokens);
    if record_shape {
        let _ = parsed.shape.set(shape.into_inner());
    }
    index
}

/// A tree as [`same_program`] reads it: every node the walk entered, in
/// preorder. Reading an entry costs a few instructions where a tree-cursor
/// step costs hundreds, so the walk that builds the index records it and
/// verification walks only the re-parsed tree.
#[derive(Debug, Default)]
struct Shape {
    nodes: Vec<ShapeNode>,
    /// While recording: the entries whose subtrees are not finished.
    open: Vec<usize>,
    /// An offset or index did not fit `u32`: the shape is unusable.
    overflow: bool,
}

#[derive(Debug, Clone, Copy)]
struct ShapeNode {
    id: usize,
    start: u32,
    /// Read for leaves only (0 for others).
    end: u32,
    /// The entry after this node's subtree.
    next: u32,
    kind: u16,
    /// Compared as a token: a literal, or a node without children.
    leaf: bool,
    /// A missing token (only leaves are).
    missing: bool,
}

impl Shape {
    /// An empty shape with room for every node of `tree`: growing the list
    /// by doubling would copy it several times over.
    fn for_tree(tree: &Tree) -> Shape {
        Shape {
            nodes: Vec::with_capacity(tree.root_node().descendant_count()),
            open: Vec::new(),
            overflow: false,
        }
    }

    /// Record `node`, of kind `kind`, with or without `children`.
    fn enter(&mut self, kinds: &Kinds, node: Node<'_>, kind: u16, children: bool) {
        let leaf = !children || kinds.literal.contains(kind);
        let (Ok(start), Ok(end), Ok(_)) = (
            u32::try_from(node.start_byte()),
            u32::try_from(if leaf { node.end_byte() } else { 0 }),
            u32::try_from(self.nodes.len() + 1),
        ) else {
            // Past 4 GiB or 4G nodes (tree-sitter's own limits): the shape
            // cannot stand for the tree, and nothing is proven with it.
            self.overflow = true;
            return;
        };
        self.open.push(self.nodes.len());
        self.nodes.push(ShapeNode {
            id: node.id(),
            start,
            end,
            next: u32::MAX, // set by `leave`
            kind,
            leaf,
            missing: !children && node.is_missing(),
        });
    }

    fn leave(&mut self) {
        if self.overflow {
            return;
        }
        if let Some(entry) = self.open.pop() {
            // Fits: `enter` checked every index up to this one.
            self.nodes[entry].next = self.nodes.len() as u32;
        }
    }
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
            permuted(&children, Node::start_byte, mine).unwrap_or_else(|| {
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

/// Whether `new`, re-parsed incrementally from `original`'s tree (edited
/// in place, so read through its recorded [`Shape`]) after edits that replaced whitespace with whitespace
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
    let shape = original.shape();
    let nodes = &shape.nodes;
    let by_parent = swaps_by_parent(swaps);
    if nodes.is_empty() || shape.overflow {
        return false;
    }
    // The original side is read from its recorded shape (entry indices),
    // the new side walked.
    let mut stack = vec![(0, new.tree.root_node())];
    let mut cursor_b = new.tree.walk();
    let (mut kids_a, mut kids_b) = (Vec::new(), Vec::new());
    while let Some((i, b)) = stack.pop() {
        // Each property read once: this loop visits most nodes of a file.
        let a = nodes[i];
        let kind = a.kind;
        if kind != b.kind_id() {
            return false;
        }
        let leaf = kinds.literal.contains(kind) || b.child_count() == 0;
        if leaf != a.leaf || a.missing != (leaf && b.is_missing()) {
            return false;
        }
        if leaf {
            let text_a = original.text.get(a.start as usize..a.end as usize);
            let text_b = new.text.get(b.start_byte()..b.end_byte());
            if text_a != text_b {
                return false;
            }
            continue;
        }
        if a.id == b.id() {
            continue; // a reused inner node: the same subtree
        }
        kids_a.clear();
        let mut child = i + 1;
        while child < a.next as usize {
            let Some(entry) = nodes.get(child) else {
                return false;
            };
            kids_a.push(child);
            child = entry.next as usize;
        }
        if let Some(mine) = by_parent.get(&a.id) {
            match permuted(&kids_a, |&c| nodes[c].start as usize, mine) {
                Some(order) => kids_a = order,
                None => return false,
            }
        }
        kids_a.retain(|&c| !kinds.comment.contains(nodes[c].kind));
        kids_b.clear();
        kids_b.extend(
            b.children(&mut cursor_b)
                .filter(|n| !kinds.comment.contains(n.kind_id())),
        );
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
fn permuted<T: Copy>(children: &[T], start: impl Fn(&T) -> usize, mine: &[Swap]) -> Option<Vec<T>> {
    let at = |offset: usize| children.partition_point(|c| start(c) < offset);
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

#[cfg(test)]
mod tests {
    use super::normalized_hash;

    /// The byte-at-a-time path `normalized_hash` takes for ASCII gives
    /// exactly what the general per-character path gives.
    #[test]
    fn ascii_fast_path_matches_the_general_path() {
        fn general(raw: &str) -> u64 {
            let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
            for c in raw.chars() {
                if c.is_whitespace() || matches!(c, '"' | '\'' | '\\') {
                    continue;
                }
                for lower in c.to_lowercase() {
                    let mut buf = [0u8; 4];
                    for b in lower.encode_utf8(&mut buf).bytes() {
                        hash ^= u64::from(b);
                        hash = hash.wrapping_mul(0x0100_0000_01b3);
                    }
                }
            }
            hash
        }
        for b in 0u8..=0x7f {
            let one = (b as char).to_string();
            let raw = format!("x{one}Y{one}");
            assert_eq!(normalized_hash(&raw, true), general(&raw), "byte {b:#04x}");
        }
        for raw in [
            "\"A b\\n\"",
            "'Ünïcödé ÀB'\u{a0}\u{2003}",
            "r#\"x\"#",
            "0xFF_u8",
        ] {
            assert_eq!(normalized_hash(raw, true), general(raw), "{raw}");
        }
    }
}
