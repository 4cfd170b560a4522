//! The Python table.

use super::LangTable;

pub(super) static TABLE: LangTable = LangTable {
    name: "python",
    // `.pyi` stubs are formatted under different blank-line rules; they are
    // copied unchanged.
    extensions: &["py"],
    grammar: || tree_sitter_python::LANGUAGE.into(),
    body_kinds: &["module", "block"],
    opaque_kinds: &["string", "concatenated_string", "decorator"],
    comment_kinds: &["comment"],
    identifier_kinds: &["identifier"],
    literal_kinds: &["string", "integer", "float"],
    // black imposes its own blank lines around definitions and after
    // imports; `case` clauses are not statements.
    blank_exclude_either: &[
        "function_definition",
        "class_definition",
        "decorated_definition",
        "import_statement",
        "import_from_statement",
        "future_import_statement",
        "case_clause",
    ],
    blank_exclude_before: &[],
    // black puts blank lines after a block that ends in a nested definition.
    blank_exclude_before_containing: &["function_definition", "class_definition"],
    blank_exclude_bodiless: &[],
    // A string or implicitly joined strings alone: ruff counts the latter as
    // a docstring too.
    docstring_kind: Some(("expression_statement", &["string", "concatenated_string"])),
    formatter_directives: &["fmt:", "fmt :", "yapf:"],
};
