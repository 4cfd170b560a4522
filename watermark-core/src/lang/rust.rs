//! The Rust table.

use super::{LangTable, OrderTable};

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
        deferred: &[],
        order_sensitive_parents: &[],
        same_lead: false,
        one_liners_fixed: false,
    },
};
