//! The Python table.

use super::{LangTable, OrderTable};

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
};
