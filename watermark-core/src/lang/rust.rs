//! The Rust table.

use super::LangTable;

pub(super) static TABLE: LangTable = LangTable {
    name: "rust",
    extensions: &["rs"],
    grammar: || tree_sitter_rust::LANGUAGE.into(),
    body_kinds: &["source_file", "block", "declaration_list"],
    opaque_kinds: &[
        "token_tree",
        "macro_invocation",
        "macro_definition",
        "string_literal",
        "raw_string_literal",
        "char_literal",
        "attribute_item",
        "inner_attribute_item",
    ],
    comment_kinds: &["line_comment", "block_comment"],
    identifier_kinds: &[
        "identifier",
        "field_identifier",
        "type_identifier",
        "shorthand_field_identifier",
    ],
    literal_kinds: &[
        "string_literal",
        "raw_string_literal",
        "char_literal",
        "integer_literal",
        "float_literal",
    ],
    // rustfmt sorts `use`, `extern crate` and `mod foo;` lines within groups
    // separated by blank lines: a blank line there changes what it does.
    blank_exclude_either: &[
        "use_declaration",
        "extern_crate_declaration",
        "empty_statement",
        "shebang",
    ],
    blank_exclude_before: &["attribute_item", "inner_attribute_item"],
    blank_exclude_before_containing: &[],
    blank_exclude_bodiless: &["mod_item"],
    docstring_kind: None,
    formatter_directives: &[],
};
