//! The Rust table.

use super::{LangTable, OrderTable, SignedTable};

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
    // `#[track_caller]` alone only moves a panic message's location, as
    // any edit above a panic does; `Location::caller()` reads it.
    line_observers: &[("line", "!"), ("Location", "::caller")],
    header_comments: &["//", "/*"],
    doc_comments: &["///", "//!", "/**", "/*!"],
    order: OrderTable {
        // Modules and impl blocks; never trait bodies or extern blocks.
        bodies: &[
            ("source_file", &[]),
            ("declaration_list", &["mod_item", "impl_item"]),
        ],
        items: &[
            "function_item",
            "struct_item",
            "enum_item",
            "union_item",
            "impl_item",
            "trait_item",
            "const_item",
            "static_item",
            "type_item",
            "mod_item",
        ],
        containers: &["impl_item", "mod_item", "trait_item"],
        items_needing_body: &["mod_item"],
        attached: &["attribute_item"],
        marker_kinds: &["attribute_item"],
        // Attributes that act on one item alone. Anything else (cfg,
        // macro_use, no_mangle, link_section, proc-macro attributes that
        // may register items in order) keeps the item in place.
        pure_markers: &[
            "doc",
            "inline",
            "must_use",
            "allow",
            "warn",
            "deny",
            "forbid",
            "expect",
            "cold",
            "track_caller",
            "deprecated",
            "derive",
            "repr",
            "non_exhaustive",
            "test",
            "ignore",
            "should_panic",
            "rustfmt::skip",
        ],
        pure_container_markers: &["cfg"],
        inner_marker_kinds: &["inner_attribute_item"],
        // Each std derive expands to an impl of its own; the list's order
        // is not observable. Other derives (proc macros) stay put.
        unordered_marker_lists: &[(
            "derive",
            &[
                "Debug",
                "Clone",
                "Copy",
                "PartialEq",
                "Eq",
                "PartialOrd",
                "Ord",
                "Hash",
                "Default",
            ],
        )],
        fixed_comment_prefixes: &["//!", "/*!"],
        definition_time_code: false,
        class_bases: None,
        quiet_bases: &[],
        subclass_hooks: &[],
        stub_lines: None,
        call_kinds: &[],
        deferred: &[],
        order_sensitive_parents: &[],
        same_lead: false,
        one_liners_fixed: false,
    },
    signed: SignedTable {
        line_comment: "//",
        encoding_line: false,
        after_kinds: &["inner_attribute_item", "shebang"],
        after_comment_prefixes: &["//!", "/*!"],
        // rustfmt keeps parentheses, except nested ones.
        transparent: &[],
        transparent_without_comma: &[],
        transparent_under: &[("parenthesized_expression", "parenthesized_expression")],
        // `return x` as a block's value and `return x;` (rustfmt's
        // trailing_semicolon).
        transparent_over: &[(
            "expression_statement",
            &[
                "return_expression",
                "break_expression",
                "continue_expression",
            ],
        )],
        // rustfmt wraps long match arms in blocks and unwraps closure bodies.
        single_expression_blocks: &[("block", "match_arm"), ("block", "closure_expression")],
        aliases: &[],
        // Match arms: rustfmt adds `,` after expression arms and removes it
        // after block arms; `;` after items is not an empty statement.
        spliced: &[],
        zero_padded_floats: &[],
        dropped_tokens: &[],
        single_trailing_comma_kinds: &["tuple_expression", "tuple_type", "tuple_pattern"],
        trailing_semicolon_kinds: &["macro_definition"],
        split_operator_chars: "<>=",
        verbatim: &["token_tree"],
        empty_dropped: &[],
        sorted_runs: &["use_declaration", "mod_item"],
        sorted_children: &["use_list"],
        attributes: &["attribute_item"],
        quote_normalized: &[],
        joined_strings: &[],
        fstring_parts: None,
        docstring: None,
        case_insensitive_numbers: &[],
    },
};
