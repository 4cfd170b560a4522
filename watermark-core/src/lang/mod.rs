//! Languages: one [`Lang`] enum and one declarative [`LangTable`] per language.
//!
//! Everything the pipelines need to know about a language lives in its table,
//! so adding a language means adding a variant, a table file and one arm in
//! [`Lang::table`] (the compiler lists every other `match` to extend).

mod python;
mod rust;

use std::path::Path;

/// A source language the tool understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lang {
    /// Rust, formatted by rustfmt.
    Rust,
    /// Python 3, formatted by black / ruff format.
    Python,
}

/// The declarative description of one language.
#[derive(Debug)]
pub struct LangTable {
    /// Human name, also used in reports and JSON.
    pub name: &'static str,
    /// File extensions (without the dot) that select this language.
    pub extensions: &'static [&'static str],
    /// The tree-sitter grammar.
    pub grammar: fn() -> tree_sitter::Language,
    /// Node kinds whose children are statements or items separated by
    /// newlines (function bodies, modules, impl bodies, class bodies).
    pub body_kinds: &'static [&'static str],
    /// Node kinds never walked into when looking for sites (macro token
    /// trees, strings, decorator lists).
    pub opaque_kinds: &'static [&'static str],
    /// Comment node kinds (skipped by locators and the syntax digest).
    pub comment_kinds: &'static [&'static str],
    /// Identifier kinds: locators replace them by their order of first
    /// appearance, so a consistent renaming keeps sites findable.
    pub identifier_kinds: &'static [&'static str],
    /// Literal kinds whose full text is part of the syntax digest verbatim
    /// and which locators treat as one token.
    pub literal_kinds: &'static [&'static str],
    /// Blank-line channel: statement kinds that must not sit on either side
    /// of a site because the formatter imposes its own blank lines there, or
    /// because a blank line changes meaning for a tool (import grouping).
    pub blank_exclude_either: &'static [&'static str],
    /// Blank-line channel: kinds that must not be the statement *before* a
    /// site (an attribute belongs to the item after it).
    pub blank_exclude_before: &'static [&'static str],
    /// Blank-line channel: kinds whose presence *inside* the statement before
    /// a site makes the formatter impose blank lines after it (Python defs).
    pub blank_exclude_before_containing: &'static [&'static str],
    /// Blank-line channel: kinds excluded on either side of a site when
    /// they have no `body` field (Rust `mod foo;`, which rustfmt sorts).
    pub blank_exclude_bodiless: &'static [&'static str],
    /// Blank-line channel: `(statement kind, only child kind)` of a
    /// docstring, after which the formatter imposes a blank line.
    pub docstring_kind: Option<(&'static str, &'static [&'static str])>,
    /// Blank-line channel: comment texts by which the user steers the
    /// formatter (black's `fmt: off` / `fmt: skip`, and the `yapf:` forms it
    /// honours). No site touches a statement or comment carrying one: the
    /// formatter then counts blank lines by rules of its own.
    pub formatter_directives: &'static [&'static str],
    /// Code that reads its own line numbers: an identifier token, then the
    /// text that must follow it (whitespace between tokens aside; empty for
    /// none). A file holding one is never edited: moving a blank line or an
    /// item would change the numbers it reads (a hard-coded offset between
    /// two lines, a test that compares `line!()` with a caller's location).
    /// The tracer reads such files like any other.
    pub line_observers: &'static [(&'static str, &'static str)],
    /// Comment openers of the lines that may mark a file as generated
    /// (`// @generated`, `# DO NOT EDIT`; see [`Lang::generated_marker`]).
    pub header_comments: &'static [&'static str],
    /// Openers of doc comments, which describe code rather than mark the
    /// file (a doc comment saying a help text is "auto-generated").
    pub doc_comments: &'static [&'static str],
    /// The item-order channel.
    pub order: OrderTable,
    /// Signed provenance comments.
    pub signed: SignedTable,
}

/// Signed provenance comments, per language: the comment syntax, where the
/// comment goes, and what the code digest it signs ignores. The digest must
/// not change under the language's usual formatters and must change with
/// anything that changes what the code means.
#[derive(Debug)]
pub struct SignedTable {
    /// The line-comment opener.
    pub line_comment: &'static str,
    /// Whether line 1 or 2 may carry an encoding declaration (Python's
    /// `# -*- coding: .. -*-`) that must stay there.
    pub encoding_line: bool,
    /// Top-level kinds the comment goes after (Rust inner attributes).
    pub after_kinds: &'static [&'static str],
    /// Comment prefixes of top-level comments the comment goes after
    /// (Rust inner doc comments).
    pub after_comment_prefixes: &'static [&'static str],
    /// Kinds hashed as their only named child (redundant parentheses).
    pub transparent: &'static [&'static str],
    /// Kinds that are mere parentheses when they hold one element and no
    /// comma (Python parses the target `(a) = b` as a tuple pattern).
    pub transparent_without_comma: &'static [&'static str],
    /// `(kind, parent kind)`: the same, only under that parent (rustfmt
    /// removes nested parentheses only).
    pub transparent_under: &'static [(&'static str, &'static str)],
    /// `(kind, child kinds)`: hashed as their only named child when that
    /// child has one of these kinds (rustfmt adds `;` after a final
    /// `return`).
    pub transparent_over: &'static [(&'static str, &'static [&'static str])],
    /// `(kind, parent kind)`: a block hashed as its only child when that is
    /// an expression (rustfmt wraps long match arms in blocks).
    pub single_expression_blocks: &'static [(&'static str, &'static str)],
    /// Kinds hashed under another name: the parenthesized and bare forms
    /// of one construct (`(a, b)` and `a, b`).
    pub aliases: &'static [(&'static str, &'static str)],
    /// Kinds whose children count as their parent's (Python's
    /// `type_parameter` in `list[int]`, which a parenthesized annotation
    /// parses as a plain subscript).
    pub spliced: &'static [&'static str],
    /// Float kinds written with a bare dot that black completes (`.5` is
    /// `0.5`, `5.` is `5.0`).
    pub zero_padded_floats: &'static [&'static str],
    /// Tokens that never carry meaning beyond the tree's shape.
    pub dropped_tokens: &'static [&'static str],
    /// Kinds where a trailing comma after a single element changes the
    /// meaning (a one-element tuple); everywhere else trailing commas drop.
    pub single_trailing_comma_kinds: &'static [&'static str],
    /// Kinds where a `;` before the closing bracket is optional (rustfmt
    /// ends the last rule of a `macro_rules!` with one).
    pub trailing_semicolon_kinds: &'static [&'static str],
    /// Characters of operator tokens that count one by one (`>>` closing
    /// two generic lists is `> >`; `>=` after a type is `> =`): a token
    /// made only of these splits into single characters.
    pub split_operator_chars: &'static str,
    /// Kinds whose tokens are hashed as written (macro token trees: what a
    /// token means there is up to the macro), except that trailing commas
    /// still drop: rustfmt adds them to macro calls it lays out like
    /// function calls.
    pub verbatim: &'static [&'static str],
    /// `(kind, parent kind)`: empty nodes that mean nothing there
    /// (`class A():`).
    pub empty_dropped: &'static [(&'static str, &'static str)],
    /// Item kinds whose consecutive runs are a set (rustfmt sorts `use`
    /// lines and `mod foo;` lines); attributes stay with their item.
    pub sorted_runs: &'static [&'static str],
    /// Kinds whose children are a set (the braces of a `use`).
    pub sorted_children: &'static [&'static str],
    /// Outer attribute kinds that belong to the next item.
    pub attributes: &'static [&'static str],
    /// String kinds whose quote character and quote escapes do not count,
    /// and whose prefix letters are case-insensitive (black normalizes
    /// them).
    pub quote_normalized: &'static [&'static str],
    /// Implicitly concatenated strings that count as the one string they
    /// make when every part has the same prefix and single quotes (ruff
    /// format joins those that fit on a line).
    pub joined_strings: &'static [&'static str],
    /// `(opening, literal text, closing)` kinds of an f-string's parts: an
    /// f-string is walked like code (formatters format its replacement
    /// fields), its literal text normalized like a string's.
    pub fstring_parts: Option<(&'static str, &'static str, &'static str)>,
    /// `(statement kind, string kinds)`: a lone string statement (a
    /// docstring), whose lines black re-indents and strips.
    pub docstring: Option<(&'static str, &'static [&'static str])>,
    /// Number kinds whose letters are case-insensitive (`0XFF` = `0xff`).
    pub case_insensitive_numbers: &'static [&'static str],
}

/// What the item-order channel may move, per language. Items move only
/// inside a run of movable items with nothing but whitespace and their own
/// attached comments between them; anything else is a fixed barrier.
#[derive(Debug)]
pub struct OrderTable {
    /// `(body kind, parent kinds)`: bodies whose items may be reordered,
    /// when the body's parent has one of the kinds (any parent if empty).
    pub bodies: &'static [(&'static str, &'static [&'static str])],
    /// Item kinds that may move.
    pub items: &'static [&'static str],
    /// Item kinds whose body holds items (impl blocks, modules, classes).
    /// Their identity is their header and the set of their members'
    /// headers, so that it does not change when their members trade
    /// places.
    pub containers: &'static [&'static str],
    /// Item kinds that move only when they have a `body` field (Rust
    /// `mod foo { .. }`, never `mod foo;`).
    pub items_needing_body: &'static [&'static str],
    /// Sibling kinds before an item that belong to it and move with it
    /// (outer attributes).
    pub attached: &'static [&'static str],
    /// Kinds of the markers on an item (attributes, decorators) whose name
    /// must be in `pure_markers` for the item to move.
    pub marker_kinds: &'static [&'static str],
    /// Marker names (paths without arguments) that change nothing about
    /// where an item may stand. `*.x` matches `name.x` for any one name
    /// (a property's `setter`); `a.b.*` matches every name under `a.b`.
    pub pure_markers: &'static [&'static str],
    /// Marker names that, on a container (impl block, module, class), do
    /// not see the order of its items, beyond [`OrderTable::pure_markers`]
    /// (Rust `cfg`: it keeps or drops the container whole). Any other
    /// marker on a container fixes its whole body.
    pub pure_container_markers: &'static [&'static str],
    /// Kinds of markers written inside a container's body that apply to
    /// the container (Rust inner attributes `#![..]`).
    pub inner_marker_kinds: &'static [&'static str],
    /// `(marker name, names)`: markers whose argument list may hold these
    /// names in any order (Rust `#[derive(..)]` of std traits). Neighbours
    /// in such a list trade places like items do; any other entry stays.
    pub unordered_marker_lists: &'static [(&'static str, &'static [&'static str])],
    /// Comment prefixes that must stay where they are (Rust inner doc
    /// comments must precede every item).
    pub fixed_comment_prefixes: &'static [&'static str],
    /// Whether defining an item evaluates code (Python: decorators,
    /// defaults, annotations, base classes and class bodies run at
    /// definition time), so two items may not pass each other when one's
    /// definition-time code names the other, nor when they share a name.
    pub definition_time_code: bool,
    /// `(class kind, bases field)`: classes whose bases may see the order
    /// of their subclasses' bodies and the order subclasses are created in
    /// (a base's `__init_subclass__`, a metaclass).
    pub class_bases: Option<(&'static str, &'static str)>,
    /// Bases known not to see definition order (`*Error` matches any name
    /// ending in `Error`); any other base must be a class of the same file
    /// that defines none of [`OrderTable::subclass_hooks`] and whose own
    /// bases qualify, or the class and its body stay in place.
    pub quiet_bases: &'static [&'static str],
    /// Method names through which a base sees its subclasses as they are
    /// defined.
    pub subclass_hooks: &'static [&'static str],
    /// `(line prefixes, suffix)`: a line that is a whole stub definition
    /// (`def f(self): ...`). Nothing moves next to an item ending in one:
    /// black spaces the lines around stubs by rules of its own.
    pub stub_lines: Option<(&'static [&'static str], &'static str)>,
    /// Call kinds: an item whose definition-time code calls anything
    /// (a class body's `ID = next(counter)`, a default `x=make()`) is fixed,
    /// since the call may have effects or need names defined further down.
    pub call_kinds: &'static [&'static str],
    /// `(kind, field)`: subtrees that do *not* run at definition time
    /// (a function's body).
    pub deferred: &'static [(&'static str, &'static str)],
    /// Identifiers that, anywhere in the header of a body's parent (a
    /// class's bases, keywords or decorators), make the whole body fixed:
    /// enums, named tuples, typed dicts and metaclasses see definition
    /// order.
    pub order_sensitive_parents: &'static [&'static str],
    /// Whether two items may trade places only when their extents start
    /// alike (both with a comment, a decorator, or the keyword): black
    /// counts blank lines before comments and decorators by rules of its
    /// own.
    pub same_lead: bool,
    /// Whether a definition written on one line stays put (black counts
    /// blank lines around one-line stubs by rules of its own).
    pub one_liners_fixed: bool,
}

impl Lang {
    /// Every supported language, for loops in tests and tools.
    pub const ALL: [Lang; 2] = [Lang::Rust, Lang::Python];

    /// The declarative table of this language.
    pub fn table(self) -> &'static LangTable {
        match self {
            Lang::Rust => &rust::TABLE,
            Lang::Python => &python::TABLE,
        }
    }

    /// The language's name (`"rust"`, `"python"`).
    pub fn name(self) -> &'static str {
        self.table().name
    }

    /// The language a path's extension selects, if any.
    pub fn from_path(path: &Path) -> Option<Lang> {
        let ext = path.extension()?.to_str()?;
        Lang::ALL
            .into_iter()
            .find(|lang| lang.table().extensions.contains(&ext))
    }

    /// The language named `name` (as printed by [`Lang::name`]).
    pub fn from_name(name: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|lang| lang.name() == name)
    }

    /// The tree-sitter grammar of this language.
    pub fn grammar(self) -> tree_sitter::Language {
        (self.table().grammar)()
    }

    /// Whether `text` says it is written by a program: a comment among its
    /// first [`GENERATED_HEADER_LINES`] lines, at the start of its line,
    /// holding one of [`GENERATED_MARKERS`] (ASCII case ignored; the
    /// weaker phrases, "auto-generated" and the like, only outside doc
    /// comments, where they tend to describe the code instead). Returns the
    /// phrase and its 1-based line.
    ///
    /// Such a file is regenerated rather than edited, so a diff against a
    /// fresh generation would show every mark in it, and regenerating would
    /// erase them.
    pub fn generated_marker(self, text: &[u8]) -> Option<(&'static str, usize)> {
        let table = self.table();
        for (index, line) in text
            .split(|&b| b == b'\n')
            .take(GENERATED_HEADER_LINES)
            .enumerate()
        {
            let line = line.trim_ascii_start();
            let line = &line[..line.len().min(GENERATED_LINE_BYTES)];
            let starts = |openers: &[&str]| openers.iter().any(|o| line.starts_with(o.as_bytes()));
            if !starts(table.header_comments) {
                continue;
            }
            let markers = if starts(table.doc_comments) {
                &GENERATED_MARKERS[..GENERATED_STRONG_MARKERS]
            } else {
                &GENERATED_MARKERS[..]
            };
            let lower = line.to_ascii_lowercase();
            if let Some(marker) = markers
                .iter()
                .find(|m| lower.windows(m.len()).any(|w| w == m.as_bytes()))
            {
                return Some((marker, index + 1));
            }
        }
        None
    }
}

/// Phrases by which a header comment says its file is generated, in lower
/// case; only the first two (`@generated`, `do not edit`) count in doc
/// comments.
pub const GENERATED_MARKERS: [&str; 5] = [
    "@generated",
    "do not edit",
    "automatically generated",
    "autogenerated",
    "auto-generated",
];
const GENERATED_STRONG_MARKERS: usize = 2;
/// How many lines at the top of a file [`Lang::generated_marker`] reads.
pub const GENERATED_HEADER_LINES: usize = 20;
/// How much of each such line it reads.
const GENERATED_LINE_BYTES: usize = 1024;

impl std::fmt::Display for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Kind-name sets resolved to kind ids for one grammar, built once per parse.
#[derive(Debug)]
pub(crate) struct KindSet {
    ids: Vec<bool>,
}

impl KindSet {
    pub(crate) fn new(language: &tree_sitter::Language, names: &[&str]) -> Self {
        let ids = (0..language.node_kind_count())
            .map(|id| {
                u16::try_from(id)
                    .ok()
                    .and_then(|id| language.node_kind_for_id(id))
                    .is_some_and(|name| names.contains(&name))
            })
            .collect();
        KindSet { ids }
    }

    pub(crate) fn contains(&self, kind_id: u16) -> bool {
        self.ids.get(usize::from(kind_id)).copied().unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Real headers of generated files (syn, bindgen, protoc, Go's
    /// convention, unicode tables after a licence) are found at their line;
    /// prose that merely mentions generation, a marker in a string, below
    /// the header or in a docstring, is not.
    #[test]
    fn generated_markers() {
        let found = [
            (Lang::Rust, "// This file is @generated by syn-internal-codegen.\n// It is not intended for manual editing.\n", "@generated", 1),
            (Lang::Rust, "/* automatically generated by rust-bindgen 0.72.1 */\n\npub const X: u32 = 1;\n", "automatically generated", 1),
            (Lang::Rust, "//! @generated by build.rs\n", "@generated", 1),
            (Lang::Rust, "// Copyright\n//\n// Licensed under MIT.\n\n// NOTE: The following code was generated by \"scripts/unicode.py\", do not edit directly\n", "do not edit", 5),
            (Lang::Rust, "  // Code generated by stringer. DO NOT EDIT.\nfn f() {}\n", "do not edit", 1),
            (Lang::Python, "# -*- coding: utf-8 -*-\n# Generated by the protocol buffer compiler.  DO NOT EDIT!\n", "do not edit", 2),
            (Lang::Python, "#!/usr/bin/env python\n# This file is autogenerated\n", "autogenerated", 2),
        ];
        for (lang, text, marker, line) in found {
            assert_eq!(
                lang.generated_marker(text.as_bytes()),
                Some((marker, line)),
                "{text}"
            );
        }
        let mut late = "x = 1\n".repeat(GENERATED_HEADER_LINES);
        late += "# @generated\n";
        let not_found = [
            (
                Lang::Rust,
                "//! Some of this could be auto-generated from the Linux header file\n".to_owned(),
            ),
            (
                Lang::Rust,
                "/// `clap` auto-generated help writer\npub struct W;\n".to_owned(),
            ),
            (
                Lang::Rust,
                "fn f() {\n    println!(\"// This file is @generated by {}\", 1);\n}\n".to_owned(),
            ),
            (Lang::Rust, "// A plain comment.\nfn main() {}\n".to_owned()),
            (
                Lang::Python,
                "\"\"\"Do not edit: generated.\"\"\"\n".to_owned(),
            ),
            (Lang::Python, "s = '# @generated'\n".to_owned()),
            (Lang::Python, late),
            (Lang::Python, String::new()),
        ];
        for (lang, text) in not_found {
            assert_eq!(lang.generated_marker(text.as_bytes()), None, "{text}");
        }
    }

    /// Every language loads into the parser (catches a grammar / core ABI
    /// mismatch, which cargo does not) and every kind named in its table
    /// exists in its grammar (catches typos that would silently match
    /// nothing).
    #[test]
    fn every_table_loads_and_names_real_kinds() {
        for lang in Lang::ALL {
            let table = lang.table();
            let grammar = lang.grammar();
            let mut parser = tree_sitter::Parser::new();
            parser
                .set_language(&grammar)
                .unwrap_or_else(|e| panic!("{lang}: {e}"));
            let tree = parser.parse("x = 1\n", None).expect("parse");
            assert!(tree.root_node().child_count() > 0, "{lang}");
            let mut names: Vec<&str> = [
                table.body_kinds,
                table.opaque_kinds,
                table.comment_kinds,
                table.literal_kinds,
                table.identifier_kinds,
                table.blank_exclude_either,
                table.blank_exclude_before,
                table.blank_exclude_before_containing,
                table.blank_exclude_bodiless,
            ]
            .concat();
            let signed = &table.signed;
            names.extend(signed.after_kinds);
            names.extend(signed.transparent);
            names.extend(signed.transparent_without_comma);
            names.extend(signed.verbatim);
            names.extend(signed.sorted_runs);
            names.extend(signed.sorted_children);
            names.extend(signed.attributes);
            names.extend(signed.quote_normalized);
            names.extend(signed.joined_strings);
            names.extend(signed.single_trailing_comma_kinds);
            names.extend(signed.trailing_semicolon_kinds);
            names.extend(signed.spliced);
            names.extend(signed.zero_padded_floats);
            names.extend(signed.case_insensitive_numbers);
            for (a, b) in signed
                .transparent_under
                .iter()
                .chain(signed.single_expression_blocks)
                .chain(signed.aliases)
                .chain(signed.empty_dropped)
            {
                names.extend([*a, *b]);
            }
            for (a, bs) in signed.transparent_over {
                names.push(a);
                names.extend(*bs);
            }
            if let Some((start, content, end)) = signed.fstring_parts {
                names.extend([start, content, end]);
            }
            if let Some((statement, strings)) = signed.docstring {
                names.push(statement);
                names.extend(strings);
            }
            for token in signed.dropped_tokens {
                assert_ne!(
                    grammar.id_for_node_kind(token, false),
                    0,
                    "{lang}: no token {token:?}"
                );
            }
            if let Some((statement, only_children)) = table.docstring_kind {
                names.push(statement);
                names.extend(only_children);
            }
            for name in names {
                assert_ne!(
                    grammar.id_for_node_kind(name, true),
                    0,
                    "{lang}: no node kind {name:?}"
                );
            }
            for ext in table.extensions {
                assert_eq!(Lang::from_path(Path::new(&format!("a.{ext}"))), Some(lang));
            }
            assert_eq!(Lang::from_name(lang.name()), Some(lang));
        }
    }
}
