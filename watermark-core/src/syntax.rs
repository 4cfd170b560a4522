//! Parsing, normalized tokens (for locators) and the normalized syntax
//! digest (for the safety proof of every rewrite).

use std::ops::Range;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use tree_sitter::{Node, Parser, Tree, TreeCursor};

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
                    .map(|(stmt, only)| (set(&[stmt]), set(&[only]))),
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
    match std::str::from_utf8(rest) {
        Ok(text) => Ok(Decoded { bom, text }),
        Err(err) => {
            let offset = bom.len() + err.valid_up_to();
            let (line, column) = line_column(bytes, offset);
            Err(SkipReason::NotUtf8 { line, column })
        }
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
    let mut parser = Parser::new();
    parser
        .set_language(&lang.grammar())
        .map_err(|e| SkipReason::Grammar {
            message: e.to_string(),
        })?;
    let started = Instant::now();
    let mut progress = |_: &tree_sitter::ParseState| {
        if started.elapsed() > PARSE_TIMEOUT {
            std::ops::ControlFlow::Break(())
        } else {
            std::ops::ControlFlow::Continue(())
        }
    };
    let options = tree_sitter::ParseOptions::new().progress_callback(&mut progress);
    let bytes = text.as_bytes();
    let tree = parser
        .parse_with_options(
            &mut |offset, _| bytes.get(offset..).unwrap_or_default(),
            None,
            Some(options),
        )
        .ok_or(SkipReason::ParseTimeout)?;
    Ok(Parsed {
        lang,
        text,
        tree,
        kinds: Kinds::of(lang),
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
        mut enter: impl FnMut(Node<'t>) -> bool,
        mut leave: impl FnMut(Node<'t>),
    ) {
        let mut cursor: TreeCursor<'t> = self.tree.walk();
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

/// Normalized tokens of a file, for locators: comments dropped, literals one
/// token each with quotes, escapes, whitespace and case removed, and the
/// punctuation formatters add or drop freely (`( ) , { } ;`) skipped.
#[derive(Debug, Default)]
pub(crate) struct Tokens {
    starts: Vec<usize>,
    hashes: Vec<u64>,
    identifier: Vec<bool>,
}

impl Tokens {
    pub(crate) fn of(parsed: &Parsed<'_>) -> Tokens {
        let kinds = parsed.kinds;
        let text = parsed.text;
        let mut tokens = Tokens::default();
        parsed.walk(
            |node| {
                let id = node.kind_id();
                if kinds.comment.contains(id) || node.is_extra() && node.child_count() == 0 {
                    return false;
                }
                let literal = kinds.literal.contains(id);
                if literal || node.child_count() == 0 {
                    if node.start_byte() < node.end_byte() && !kinds.ignorable_tokens.contains(id) {
                        let raw = text
                            .get(node.start_byte()..node.end_byte())
                            .unwrap_or_default();
                        tokens.starts.push(node.start_byte());
                        tokens.hashes.push(normalized_hash(raw, literal));
                        tokens.identifier.push(kinds.identifier.contains(id));
                    }
                    return false;
                }
                true
            },
            |_| {},
        );
        tokens
    }

    /// Indices of the tokens inside a byte range.
    pub(crate) fn range(&self, byte_start: usize, byte_end: usize) -> Range<usize> {
        let first = self.starts.partition_point(|&s| s < byte_start);
        let last = self.starts.partition_point(|&s| s < byte_end);
        first..last
    }

    /// Feed a node's tokens to a locator hasher: its first and last
    /// `window` tokens. Identifiers are fed as their order of first
    /// appearance in `names` (shared by all nodes of one locator), so a
    /// consistent renaming does not move the locator.
    pub(crate) fn feed(
        &self,
        range: Range<usize>,
        window: usize,
        names: &mut Vec<u64>,
        hasher: &mut LocatorHasher,
    ) {
        let len = range.len();
        let picked = if len <= 2 * window {
            range.start..range.end
        } else {
            range.start..range.start + window
        };
        let tail = if len <= 2 * window {
            0..0
        } else {
            range.end - window..range.end
        };
        hasher.update(&[0xff]);
        for i in picked.chain(tail) {
            let hash = self.hashes[i];
            if self.identifier[i] {
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

/// The normalized syntax digest: tree shape, node kinds and token texts,
/// with whitespace and comments removed. Two files with the same digest and
/// no parse errors mean the same program.
pub(crate) fn syntax_digest(parsed: &Parsed<'_>) -> blake3::Hash {
    struct State<'t> {
        hasher: blake3::Hasher,
        text: &'t str,
        last_end: usize,
    }
    impl State<'_> {
        /// Hash the bytes between the previous token and `to` that are not
        /// whitespace (none in a sane grammar, but never trust that).
        fn residue(&mut self, to: usize) {
            if let Some(gap) = self.text.get(self.last_end..to) {
                for b in gap.bytes().filter(|b| !b.is_ascii_whitespace()) {
                    self.hasher.update(&[0xfe, b]);
                }
            }
            self.last_end = self.last_end.max(to);
        }
    }
    let kinds = parsed.kinds;
    let state = std::cell::RefCell::new(State {
        hasher: blake3::Hasher::new(),
        text: parsed.text,
        last_end: 0,
    });
    parsed.walk(
        |node| {
            let mut s = state.borrow_mut();
            let id = node.kind_id();
            if kinds.comment.contains(id) {
                s.residue(node.start_byte());
                s.last_end = s.last_end.max(node.end_byte());
                return false;
            }
            s.hasher.update(&[0x01]);
            s.hasher.update(&id.to_le_bytes());
            s.hasher.update(&[u8::from(node.is_missing())]);
            if kinds.literal.contains(id) || node.child_count() == 0 {
                s.residue(node.start_byte());
                let raw = s
                    .text
                    .get(node.start_byte()..node.end_byte())
                    .unwrap_or_default();
                let len = raw.len() as u64;
                s.hasher.update(&len.to_le_bytes());
                s.hasher.update(raw.as_bytes());
                s.last_end = s.last_end.max(node.end_byte());
                return false;
            }
            true
        },
        |node| {
            if !kinds.comment.contains(node.kind_id()) {
                state.borrow_mut().hasher.update(&[0x03]);
            }
        },
    );
    let mut s = state.into_inner();
    s.residue(s.text.len());
    s.hasher.finalize()
}
