//! The bundled sample project of `watermark demo` (our own code).

/// `(path, contents)` of every file of the sample project.
pub(crate) const FILES: &[(&str, &str)] = &[
    ("inventory/Cargo.toml", include_str!("../sample/inventory/Cargo.toml")),
    ("inventory/README.md", include_str!("../sample/inventory/README.md")),
    ("inventory/py/inventory_tools/__init__.py", include_str!("../sample/inventory/py/inventory_tools/__init__.py")),
    ("inventory/py/inventory_tools/cli.py", include_str!("../sample/inventory/py/inventory_tools/cli.py")),
    ("inventory/py/inventory_tools/forecast.py", include_str!("../sample/inventory/py/inventory_tools/forecast.py")),
    ("inventory/py/inventory_tools/ledger.py", include_str!("../sample/inventory/py/inventory_tools/ledger.py")),
    ("inventory/py/inventory_tools/models.py", include_str!("../sample/inventory/py/inventory_tools/models.py")),
    ("inventory/py/inventory_tools/pricing.py", include_str!("../sample/inventory/py/inventory_tools/pricing.py")),
    ("inventory/py/inventory_tools/reports.py", include_str!("../sample/inventory/py/inventory_tools/reports.py")),
    ("inventory/src/error.rs", include_str!("../sample/inventory/src/error.rs")),
    ("inventory/src/lib.rs", include_str!("../sample/inventory/src/lib.rs")),
    ("inventory/src/orders.rs", include_str!("../sample/inventory/src/orders.rs")),
    ("inventory/src/pricing.rs", include_str!("../sample/inventory/src/pricing.rs")),
    ("inventory/src/reorder.rs", include_str!("../sample/inventory/src/reorder.rs")),
    ("inventory/src/report.rs", include_str!("../sample/inventory/src/report.rs")),
    ("inventory/src/stock.rs", include_str!("../sample/inventory/src/stock.rs")),
];
