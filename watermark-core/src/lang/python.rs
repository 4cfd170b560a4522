//! The Python table.

use super::{LangTable, OrderTable, SignedTable};

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
    order: OrderTable {
        // The module and class bodies; never `if` / `try` blocks
        // (conditional definitions) or function bodies.
        bodies: &[("module", &[]), ("block", &["class_definition"])],
        items: &[
            "function_definition",
            "class_definition",
            "decorated_definition",
        ],
        containers: &["class_definition"],
        items_needing_body: &[],
        attached: &[],
        marker_kinds: &["decorator"],
        // Decorators that return a descriptor or the function itself and
        // register nothing anywhere.
        pure_markers: &[
            "staticmethod",
            "classmethod",
            "property",
            "*.setter",
            "*.getter",
            "*.deleter",
            "abstractmethod",
            "abc.abstractmethod",
            "cached_property",
            "functools.cached_property",
            "override",
            "typing.override",
            "typing_extensions.override",
            "final",
            "typing.final",
            "functools.wraps",
            "wraps",
            "functools.lru_cache",
            "lru_cache",
            "functools.cache",
            "functools.total_ordering",
            "total_ordering",
            "contextlib.contextmanager",
            "contextmanager",
            "contextlib.asynccontextmanager",
            "asynccontextmanager",
            // Test markers and patches wrap one function and register
            // nothing in order (pytest collects in file order whatever
            // the decorators).
            "pytest.mark.*",
            "pytest.fixture",
            "unittest.skip",
            "unittest.skipIf",
            "unittest.skipUnless",
            "unittest.expectedFailure",
            "mock.patch",
            "mock.patch.object",
            "unittest.mock.patch",
            "unittest.mock.patch.object",
            "patch",
            "patch.object",
        ],
        pure_container_markers: &[],
        inner_marker_kinds: &[],
        unordered_marker_lists: &[],
        fixed_comment_prefixes: &[],
        definition_time_code: true,
        deferred: &[("function_definition", "body")],
        order_sensitive_parents: &[
            "Enum",
            "IntEnum",
            "StrEnum",
            "Flag",
            "IntFlag",
            "ReprEnum",
            "NamedTuple",
            "TypedDict",
            "metaclass",
            "dataclass",
            "dataclasses",
            "attr",
            "attrs",
            "define",
            "frozen",
        ],
        same_lead: true,
        one_liners_fixed: true,
    },
    signed: SignedTable {
        line_comment: "#",
        encoding_line: true,
        after_kinds: &[],
        after_comment_prefixes: &[],
        // black removes redundant parentheses and adds them around long
        // expressions; the tree's shape already says what groups what.
        // Annotations parse into `type` nodes, but into plain expressions
        // once black wraps them in parentheses: the same expression.
        transparent: &["parenthesized_expression", "type"],
        transparent_without_comma: &["tuple_pattern"],
        transparent_under: &[],
        transparent_over: &[],
        single_expression_blocks: &[],
        // `return (a, b)` / `return a, b`, `for (a, b) in` / `for a, b in`.
        aliases: &[
            ("tuple", "expression_list"),
            ("tuple_pattern", "pattern_list"),
            ("generic_type", "subscript"),
            ("union_type", "binary_operator"),
            ("member_type", "attribute"),
        ],
        // Parentheses: see `transparent`; `;` only separates statements.
        spliced: &["type_parameter"],
        zero_padded_floats: &["float"],
        dropped_tokens: &["(", ")", ";"],
        // `x[a,]` indexes with a tuple, `x[a]` does not; `(a,) = b`
        // unpacks.
        single_trailing_comma_kinds: &[
            "subscript",
            "tuple",
            "tuple_pattern",
            "expression_list",
            "pattern_list",
        ],
        trailing_semicolon_kinds: &[],
        split_operator_chars: "",
        verbatim: &[],
        // `class A():` is `class A:`.
        empty_dropped: &[("argument_list", "class_definition")],
        sorted_runs: &[],
        sorted_children: &[],
        attributes: &[],
        quote_normalized: &["string"],
        joined_strings: &["concatenated_string"],
        fstring_parts: Some(("string_start", "string_content", "string_end")),
        docstring: Some(("expression_statement", &["string"])),
        case_insensitive_numbers: &["integer", "float"],
    },
};
