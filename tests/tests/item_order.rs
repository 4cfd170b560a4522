//! The item-order channel's refusals: fixtures of items whose order can
//! matter, each tagged for many recipients. The fixed items must keep their
//! order in every copy, while ordinary items in the same file do move for
//! some recipients (so each fixture shows the channel was active there).

use std::fs;

use watermark_core::{
    inspect_tree, tag_source, ChannelId, CodeParams, Evidence, FileStatus, Lang, Locator,
    NoProgress, OwnerKey, Recipient, Tally, WalkOptions,
};
use watermark_tests::{run_rust_program, test_key};

const RECIPIENTS: usize = 48;

/// Filler items that may move: four multi-line functions with distinct
/// bodies, so some recipient's copy reorders them.
fn python_filler(tag: &str) -> String {
    (0..6)
        .map(|i| {
            format!(
                "def filler_{tag}_{i}(x):\n    y = x * {} + {i}\n    return y - {}\n\n\n",
                i * 7 + 3,
                i * 11 + 1
            )
        })
        .collect()
}

fn rust_filler(tag: &str) -> String {
    (0..6)
        .map(|i| {
            format!(
                "fn filler_{tag}_{i}(x: u32) -> u32 {{\n    let y = x * {} + {i};\n    y - {}\n}}\n\n",
                i * 7 + 3,
                i * 11 + 1
            )
        })
        .collect()
}

/// Positions of the lines starting with each marker.
fn positions(text: &str, markers: &[&str]) -> Vec<usize> {
    markers
        .iter()
        .map(|m| {
            text.lines()
                .position(|l| l.trim_start().starts_with(m))
                .unwrap_or_else(|| panic!("{m:?} missing from\n{text}"))
        })
        .collect()
}

/// `src` tagged for `vendor-{r}` with the default parameters, as text.
fn tagged_for(lang: Lang, src: &str, key: &OwnerKey, r: usize) -> (Recipient, String) {
    let recipient = Recipient::new(&format!("vendor-{r}")).expect("recipient");
    let out = tag_source(
        lang,
        src.as_bytes(),
        key,
        &recipient,
        &CodeParams::default(),
    );
    (recipient, String::from_utf8(out.output).expect("utf-8"))
}

/// The positions of `channel` a scan of `text` finds.
fn positions_of(
    key: &OwnerKey,
    lang: Lang,
    text: &str,
    channel: ChannelId,
) -> Vec<(Locator, Tally)> {
    let mut evidence = Evidence::new();
    evidence
        .scan_source(lang, text.as_bytes(), key)
        .expect("scan");
    evidence
        .tallies()
        .filter(|(_, t)| t.channel == channel)
        .collect()
}

/// Tag `src` for many recipients: `fixed` markers keep their relative
/// order in every copy; some copy reorders the filler.
fn assert_kept(lang: Lang, name: &str, src: &str, fixed: &[Vec<&str>], filler: &[&str]) {
    let key = test_key(31);
    let mut filler_moved = false;
    for r in 0..RECIPIENTS {
        let recipient = Recipient::new(&format!("vendor-{r}")).expect("recipient");
        let out = tag_source(
            lang,
            src.as_bytes(),
            &key,
            &recipient,
            &CodeParams::default(),
        );
        assert!(
            matches!(out.status, FileStatus::Processed { .. }),
            "{name}: {:?}",
            out.status
        );
        let text = String::from_utf8(out.output).expect("utf-8");
        for group in fixed {
            let got = positions(&text, group);
            assert!(
                got.windows(2).all(|w| w[0] < w[1]),
                "{name}: {group:?} moved for vendor-{r}:\n{text}"
            );
        }
        let f = positions(&text, filler);
        filler_moved |= !f.windows(2).all(|w| w[0] < w[1]);
    }
    assert!(
        filler_moved,
        "{name}: the channel never moved the filler, so the fixture tests nothing"
    );
}

#[test]
fn python_refusals() {
    let filler = python_filler("p");
    let filler_markers: Vec<String> = (0..6).map(|i| format!("def filler_p_{i}(")).collect();
    let filler_markers: Vec<&str> = filler_markers.iter().map(String::as_str).collect();
    let cases: Vec<(&str, String, Vec<Vec<&str>>)> = vec![
        (
            "same-name redefinitions",
            "def f(a):\n    return a + 1\n\n\ndef f(a):\n    return a + 2\n\n\n".to_owned(),
            vec![vec!["return a + 1", "return a + 2"]],
        ),
        (
            "property setter chain",
            "class C:\n    @property\n    def x(self):\n        return self._x\n\n    @x.setter\n    def x(self, v):\n        self._x = v\n\n    @x.deleter\n    def x(self):\n        del self._x\n\n\n".to_owned(),
            vec![vec!["return self._x", "self._x = v", "del self._x"]],
        ),
        (
            "flask-style routes",
            "@app.route(\"/a\")\ndef route_a():\n    return 'a'\n\n\n@app.route(\"/b\")\ndef route_b():\n    return 'b'\n\n\n@app.route(\"/c\")\ndef route_c():\n    return 'c'\n\n\n".to_owned(),
            vec![vec!["def route_a", "def route_b", "def route_c"]],
        ),
        (
            "click commands",
            "@cli.command()\ndef cmd_a():\n    print('a')\n\n\n@cli.command()\n@click.option('--n')\ndef cmd_b(n):\n    print(n)\n\n\n@cli.command()\ndef cmd_c():\n    print('c')\n\n\n".to_owned(),
            vec![vec!["def cmd_a", "def cmd_b", "def cmd_c"]],
        ),
        (
            "__all__ between definitions",
            "def before_all(x):\n    return x + 1\n\n\n__all__ = ['before_all', 'after_all']\n\n\ndef after_all(x):\n    return x + 2\n\n\n".to_owned(),
            vec![vec!["def before_all", "__all__", "def after_all"]],
        ),
        (
            "TYPE_CHECKING block",
            "if TYPE_CHECKING:\n    def tc_a(x):\n        return x + 1\n\n    def tc_b(x):\n        return x + 2\n\n    def tc_c(x):\n        return x + 3\n\n\n".to_owned(),
            vec![vec!["def tc_a", "def tc_b", "def tc_c"]],
        ),
        (
            "conditional definitions",
            "try:\n    def cond_a(x):\n        return x + 1\n\n    def cond_b(x):\n        return x + 2\nexcept ImportError:\n    pass\n\n\nif sys.version_info >= (3, 8):\n    def cond_c(x):\n        return x + 3\n\n    def cond_d(x):\n        return x + 4\n\n\n".to_owned(),
            vec![vec!["def cond_a", "def cond_b", "def cond_c", "def cond_d"]],
        ),
        (
            "decorator or default naming a neighbour",
            "def base_value():\n    return 1\n\n\ndef uses_default(x=base_value):\n    return x()\n\n\nclass Base:\n    def m(self):\n        return 1\n\n\nclass Derived(Base):\n    def n(self):\n        return 2\n\n\nclass Holder:\n    attr = Derived\n\n    def k(self):\n        return 3\n\n\n".to_owned(),
            vec![
                vec!["def base_value", "def uses_default"],
                vec!["class Base", "class Derived", "class Holder"],
            ],
        ),
        (
            "enum, named tuple, typed dict and dataclass bodies",
            "class Color(Enum):\n    RED = 1\n\n    def e_a(self):\n        return 1\n\n    def e_b(self):\n        return 2\n\n    def e_c(self):\n        return 3\n\n\n@dataclass\nclass Point:\n    x: int\n\n    def d_a(self):\n        return 1\n\n    def d_b(self):\n        return 2\n\n    def d_c(self):\n        return 3\n\n\nclass Meta(Base, metaclass=Registry):\n    def m_a(self):\n        return 1\n\n    def m_b(self):\n        return 2\n\n    def m_c(self):\n        return 3\n\n\n".to_owned(),
            vec![
                vec!["def e_a", "def e_b", "def e_c"],
                vec!["def d_a", "def d_b", "def d_c"],
                vec!["def m_a", "def m_b", "def m_c"],
            ],
        ),
        // Found by an adversarial review: each changed a tagged copy's
        // behaviour before these rules.
        (
            "a default calls a function that needs a class defined further down",
            "def make_default():\n    return Config()\n\n\nclass Config:\n    value = 3\n\n    def get(self):\n        return self.value\n\n\ndef run(cfg=make_default()):\n    return cfg.get()\n\n\n".to_owned(),
            vec![vec!["class Config", "def run"], vec!["def make_default", "def run"]],
        ),
        (
            "class bodies with calls (side effects when defined)",
            "class Alpha:\n    ID = next(_ids)\n\n    def name(self):\n        return 'alpha'\n\n\nclass Beta:\n    ID = next(_ids)\n\n    def name(self):\n        return 'beta'\n\n\nclass Gamma:\n    ID = next(_ids)\n\n    def name(self):\n        return 'gamma'\n\n\n".to_owned(),
            vec![vec!["class Alpha", "class Beta", "class Gamma"]],
        ),
        (
            "a base with __init_subclass__ sees subclass and method order",
            "class Registry:\n    seen = []\n\n    def __init_subclass__(cls):\n        cls.seen.append(list(vars(cls)))\n\n\nclass PluginOne(Registry):\n    def start(self):\n        return 1\n\n    def stop(self):\n        return 2\n\n    def pause(self):\n        return 3\n\n\nclass PluginTwo(Registry):\n    def go(self):\n        return 4\n\n\n".to_owned(),
            vec![
                vec!["class PluginOne", "class PluginTwo"],
                vec!["def start", "def stop", "def pause"],
            ],
        ),
        (
            "a base imported under another name (Enum as E), or from elsewhere",
            "class Shape(E):\n    def s_a(self):\n        return 1\n\n    def s_b(self):\n        return 2\n\n    def s_c(self):\n        return 3\n\n\nclass Model(models.Model):\n    def o_a(self):\n        return 1\n\n    def o_b(self):\n        return 2\n\n    def o_c(self):\n        return 3\n\n\n".to_owned(),
            vec![
                vec!["def s_a", "def s_b", "def s_c"],
                vec!["def o_a", "def o_b", "def o_c"],
                vec!["class Shape", "class Model"],
            ],
        ),
        (
            "definitions next to stubs (black spaces those by rules of its own)",
            "class Stubby:\n    def a(self): ...\n    def b(self): ...\nclass Stub2:\n    x: int\n\n    def c(self): ...\ndef top1():\n    class Z:\n        pass\n\n    return Z\n\n\ndef top2():\n    return 2\n\n\n".to_owned(),
            vec![vec!["class Stubby", "class Stub2", "def top1", "def top2"]],
        ),
        (
            "module-level code between definitions",
            "def setup_a(x):\n    return x + 1\n\n\nsetup_a(1)\n\n\ndef setup_b(x):\n    return x + 2\n\n\n".to_owned(),
            vec![vec!["def setup_a", "setup_a(1)", "def setup_b"]],
        ),
    ];
    for (name, case, fixed) in cases {
        let src = format!("{filler}{case}");
        assert_kept(Lang::Python, name, &src, &fixed, &filler_markers);
    }
}

#[test]
fn rust_refusals() {
    let filler = rust_filler("r");
    let filler_markers: Vec<String> = (0..6).map(|i| format!("fn filler_r_{i}(")).collect();
    let filler_markers: Vec<&str> = filler_markers.iter().map(String::as_str).collect();
    let cases: Vec<(&str, String, Vec<Vec<&str>>)> = vec![
        (
            "macro_rules and the items using it",
            "fn before_macro(x: u32) -> u32 {\n    x + 1\n}\n\nmacro_rules! double {\n    ($x:expr) => {\n        $x * 2\n    };\n}\n\nfn uses_macro(x: u32) -> u32 {\n    double!(x)\n}\n\n".to_owned(),
            vec![vec!["fn before_macro", "macro_rules! double", "fn uses_macro"]],
        ),
        (
            "cfg items",
            "#[cfg(unix)]\nfn cfg_a() -> u32 {\n    1\n}\n\n#[cfg(not(unix))]\nfn cfg_b() -> u32 {\n    2\n}\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn t() {\n        assert_eq!(1, 1);\n    }\n}\n\n".to_owned(),
            vec![vec!["fn cfg_a", "fn cfg_b", "mod tests"]],
        ),
        (
            "item-level macro invocations, use, extern crate, mod declarations",
            "fn first_fn(x: u32) -> u32 {\n    x + 1\n}\n\nlazy_static! {\n    static ref X: u32 = 1;\n}\n\nfn second_fn(x: u32) -> u32 {\n    x + 2\n}\n\nuse std::fmt;\n\nfn third_fn(x: u32) -> u32 {\n    x + 3\n}\n\nmod declared;\n\nfn fourth_fn(x: u32) -> u32 {\n    x + 4\n}\n\n".to_owned(),
            vec![vec!["fn first_fn", "lazy_static!", "fn second_fn", "use std::fmt", "fn third_fn", "mod declared;", "fn fourth_fn"]],
        ),
        (
            "attributes outside the allowlist",
            "#[no_mangle]\npub extern \"C\" fn exported_a() -> u32 {\n    1\n}\n\n#[tokio::main]\nasync fn main_b() {\n    run().await;\n}\n\n#[link_section = \".init\"]\nstatic INIT: u32 = 3;\n\n".to_owned(),
            vec![vec!["pub extern \"C\" fn exported_a", "async fn main_b", "static INIT"]],
        ),
        (
            "members of containers under a macro attribute, nested bodies, inner attributes",
            {
                let members = |prefix: &str| -> String {
                    (0..4)
                        .map(|i| format!("    fn {prefix}_{i}(&self) -> u32 {{\n        {i} * 3 + 1\n    }}\n\n"))
                        .collect()
                };
                format!(
                    "#[pymethods]\nimpl Foo {{\n{}}}\n\n#[syscalls]\nmod table {{\n    impl Bar {{\n{}    }}\n}}\n\nmod inner_attr {{\n    #![my_macro]\n{}}}\n\n",
                    members("pm"),
                    members("sc").replace("\n    ", "\n        ").replacen("    fn", "        fn", 1),
                    members("ia"),
                )
            },
            vec![
                vec!["fn pm_0", "fn pm_1", "fn pm_2", "fn pm_3"],
                vec!["fn sc_0", "fn sc_1", "fn sc_2", "fn sc_3"],
                vec!["fn ia_0", "fn ia_1", "fn ia_2", "fn ia_3"],
            ],
        ),
        (
            "a module with #![macro_use] inside, and the items after it",
            "mod outer {\n    #![macro_use]\n    macro_rules! hello {\n        () => {\n            \"hello\"\n        };\n    }\n}\n\npub fn first_user() -> u32 {\n    hello!().len() as u32 + 1\n}\n\npub fn second_user() -> u32 {\n    hello!().len() as u32 + 2\n}\n\n".to_owned(),
            vec![
                vec!["mod outer", "pub fn first_user"],
                vec!["mod outer", "pub fn second_user"],
            ],
        ),
        (
            "a comment-led item after one with a trailing comment (rustfmt would align the comment under it)",
            (0..8)
                .map(|i| format!("const T{i}: u8 = {i}; // trails {i}\nconst Z{i}: u8 = 0;\n\n// Leads {i}.\nstatic S{i}: [u8; 2] = [T{i}, Z{i}];\n\n"))
                .collect(),
            vec![
                vec!["const Z0:", "static S0:"],
                vec!["const Z1:", "static S1:"],
                vec!["const Z2:", "static S2:"],
                vec!["const Z3:", "static S3:"],
                vec!["const Z4:", "static S4:"],
                vec!["const Z5:", "static S5:"],
                vec!["const Z6:", "static S6:"],
                vec!["const Z7:", "static S7:"],
            ],
        ),
    ];
    for (name, case, fixed) in cases {
        let src = format!("{filler}{case}");
        assert_kept(Lang::Rust, name, &src, &fixed, &filler_markers);
    }
    // `#[macro_use]` and an inner doc comment at the top of a file.
    let src = format!(
        "//! Crate docs.\n#[macro_use]\nextern crate log;\n\nfn top_a() -> u32 {{\n    1\n}}\n\n{filler}"
    );
    assert_kept(
        Lang::Rust,
        "macro_use and inner docs",
        &src,
        &[vec![
            "//! Crate docs.",
            "#[macro_use]",
            "extern crate log",
            "fn top_a",
        ]],
        &filler_markers,
    );
}

#[test]
fn items_move_with_their_attributes_docs_and_comments() {
    let src = "/// Docs of a.\n#[inline]\n#[must_use]\nfn item_a(x: u32) -> u32 {\n    x + 1\n}\n\n// A comment on b.\n/// Docs of b.\n#[allow(dead_code)]\nfn item_b(x: u32) -> u32 {\n    x * 2 + 7\n}\n\n/// Docs of c.\nfn item_c(x: u32) -> u32 {\n    x * 3 + 11\n}\n\n/// Docs of d.\nfn item_d(x: u32) -> u32 {\n    x * 5 + 13\n}\n";
    let key = test_key(31);
    let mut moved = false;
    for r in 0..RECIPIENTS {
        let (_, text) = tagged_for(Lang::Rust, src, &key, r);
        // Each item's attached lines directly precede it, in order.
        for (lines, item) in [
            (
                &["/// Docs of a.", "#[inline]", "#[must_use]"][..],
                "fn item_a",
            ),
            (
                &[
                    "// A comment on b.",
                    "/// Docs of b.",
                    "#[allow(dead_code)]",
                ][..],
                "fn item_b",
            ),
            (&["/// Docs of c."][..], "fn item_c"),
        ] {
            let at = positions(&text, &[item])[0];
            for (k, line) in lines.iter().enumerate() {
                assert_eq!(
                    positions(&text, &[line])[0] + lines.len() - k,
                    at,
                    "vendor-{r}: {line:?} left {item}:\n{text}"
                );
            }
        }
        moved |= positions(&text, &["fn item_a"])[0] > positions(&text, &["fn item_b"])[0]
            || positions(&text, &["fn item_c"])[0] > positions(&text, &["fn item_d"])[0];
    }
    assert!(moved, "no copy moved any item");
}

#[test]
fn inspect_logs_why_items_stay() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(
        dir.path().join("a.py"),
        "@app.route('/')\ndef index():\n    return 1\n\n\nclass Color(Enum):\n    RED = 1\n\n    def a(self):\n        return 1\n\n    def b(self):\n        return 2\n",
    )
    .expect("write");
    fs::write(
        dir.path().join("b.rs"),
        "#[cfg(test)]\nfn gated() -> u32 {\n    1\n}\n\nmacro_rules! m {\n    () => {};\n}\n",
    )
    .expect("write");
    let files = inspect_tree(dir.path(), WalkOptions::default(), &NoProgress).expect("inspect");
    let log = |name: &str| -> Vec<String> {
        files
            .iter()
            .find(|f| f.report.path.ends_with(name))
            .expect("file")
            .refusals
            .iter()
            .map(|r| format!("{}: {}", r.refusal.line, r.refusal.reason))
            .collect()
    };
    let a = log("a.py");
    assert!(
        a.iter()
            .any(|l| l.starts_with("1: ") && l.contains("app.route")),
        "{a:#?}"
    );
    assert!(
        a.iter()
            .any(|l| l.contains("Enum") && l.contains("body fixed")),
        "{a:#?}"
    );
    let b = log("b.rs");
    assert!(b.iter().any(|l| l.contains("`cfg`")), "{b:#?}");
    assert!(b.iter().any(|l| l.contains("macro_definition")), "{b:#?}");
}

#[test]
fn std_derives_trade_places_and_other_derives_stay() {
    let mut src = String::new();
    for i in 0..12 {
        src += &format!(
            "#[derive(Debug, Clone, Serialize, PartialEq, Eq, Hash)]\npub struct S{i} {{\n    pub x: u{},\n}}\n\n",
            8 << (i % 4)
        );
    }
    let key = test_key(31);
    let mut moved = false;
    for r in 0..RECIPIENTS {
        let (_, text) = tagged_for(Lang::Rust, &src, &key, r);
        for line in text.lines().filter(|l| l.starts_with("#[derive(")) {
            let list: Vec<&str> = line["#[derive(".len()..line.len() - 2]
                .split(", ")
                .collect();
            assert_eq!(list.len(), 6, "{line}");
            // A proc-macro derive is a barrier: it keeps its index, and the
            // std derives stay on their side of it.
            assert_eq!(list[2], "Serialize", "vendor-{r}: {line}");
            let mut left = list[..2].to_vec();
            left.sort_unstable();
            assert_eq!(left, ["Clone", "Debug"], "vendor-{r}: {line}");
            let mut right = list[3..].to_vec();
            right.sort_unstable();
            assert_eq!(right, ["Eq", "Hash", "PartialEq"], "vendor-{r}: {line}");
            moved |= list != ["Debug", "Clone", "Serialize", "PartialEq", "Eq", "Hash"];
        }
    }
    assert!(moved, "no derive list changed for any recipient");
}

/// Blank lines next to and between moved items land in the gaps they
/// belong to: re-tagging a tagged file changes nothing, for many
/// recipients, with items at column 0 and indented, blank lines present
/// and absent around them.
#[test]
fn moves_and_blank_lines_together_are_idempotent() {
    let mut rust = String::from("pub struct Drain {\n    x: u32,\n}\n\n");
    let mut python = String::from("import os\n\n\n");
    for i in 0..10 {
        let gap = if i % 3 == 0 { "" } else { "\n" };
        rust += &format!(
            "unsafe impl Send{i} for Drain {{}}\n{gap}impl Drain{i} {{\n    fn a(&self) -> u32 {{\n        let v = {i};\n\n        v + 1\n    }}\n    fn b(&self) -> u32 {{\n        {i} * 2\n    }}\n}}\n{gap}"
        );
        python += &format!(
            "class C{i}:\n    def a(self):\n        v = {i}\n\n        return v\n\n    def b(self):\n        return {i} * 2\n\n\ndef f{i}(x):\n    y = x + {i}\n    return y\n\n\n"
        );
    }
    let key = test_key(37);
    for (lang, src) in [(Lang::Rust, rust), (Lang::Python, python)] {
        let mut changed = 0;
        for r in 0..64 {
            let recipient = Recipient::new(&format!("vendor-{r}")).expect("recipient");
            let once = tag_source(
                lang,
                src.as_bytes(),
                &key,
                &recipient,
                &CodeParams::default(),
            );
            assert!(
                matches!(once.status, FileStatus::Processed { .. }),
                "{:?}",
                once.status
            );
            let twice = tag_source(lang, &once.output, &key, &recipient, &CodeParams::default());
            assert!(
                twice.output == once.output,
                "{lang} vendor-{r}: re-tagging changed it:\n{}",
                String::from_utf8_lossy(&once.output)
            );
            changed += usize::from(once.output != src.as_bytes());
        }
        assert!(changed > 48, "{lang}: only {changed} of 64 copies changed");
    }
}

/// Found by fuzzing: a vertical tab between definitions, which tree-sitter
/// skips as whitespace. It stays where it is while items move around it;
/// the proof of the move (debug builds compare both proofs) and re-tagging
/// agree, for every recipient.
#[test]
fn a_stray_space_character_between_items_stays_put() {
    let filler = python_filler("v");
    let src = format!("{filler}\u{b}def last(x):\n    y = x\n\n    return y\n");
    let key = test_key(31);
    let mut moved = false;
    for r in 0..RECIPIENTS {
        let recipient = Recipient::new(&format!("vendor-{r}")).expect("recipient");
        let out = tag_source(
            Lang::Python,
            src.as_bytes(),
            &key,
            &recipient,
            &CodeParams::default(),
        );
        assert!(
            matches!(out.status, FileStatus::Processed { .. }),
            "{:?}",
            out.status
        );
        let text = String::from_utf8(out.output.clone()).expect("utf-8");
        assert_eq!(text.matches('\u{b}').count(), 1, "vendor-{r}:\n{text}");
        let again = tag_source(
            Lang::Python,
            &out.output,
            &key,
            &recipient,
            &CodeParams::default(),
        );
        assert!(again.output == out.output, "vendor-{r}: not idempotent");
        moved |= text.find("def filler_v_1(") < text.find("def filler_v_0(");
    }
    assert!(moved, "no copy moved an item");
}

/// Trait bounds stay in the order written, everywhere: rustc proves them in
/// that order, and a where-clause it matches on the way can fix a type it
/// has not inferred yet (rust-lang/rust#41756). This program prints
/// `false` as written and `()` with `LeftP + RightP` swapped (found by an
/// adversarial review of a change that moved plain bounds), so no copy
/// may reorder any bound list; rustc checks a copy still prints `false`.
#[test]
fn trait_bounds_never_move_because_their_order_steers_inference() {
    let src = "use std::fmt::Debug;\n\n\
pub trait LeftP {}\npub trait RightP {}\n\n\
pub trait Join<U> {\n    fn test();\n}\n\n\
impl<T, U> Join<U> for T\nwhere\n    (T, U): LeftP + RightP,\n    U: Default + Debug,\n{\n    fn test() {\n        println!(\"{:?}\", U::default())\n    }\n}\n\n\
impl<T, U: Default + Debug> LeftP for (T, U) {}\n\n\
impl<T, U: Default + Debug> RightP for (T, U) {}\n\n\
fn try_it<T: Default + Debug + Clone + Send + Sync + 'static>()\nwhere\n    (T, bool): LeftP,\n    (T, ()): RightP,\n{\n    <T as Join<_>>::test()\n}\n\n\
pub trait Shape: Clone + Debug + Send + Sync {\n    type Out: Copy + Default + Debug;\n}\n\n\
fn main() {\n    try_it::<u8>()\n}\n";
    let bound_lines: Vec<&str> = src.lines().filter(|l| l.contains(" + ")).collect();
    assert_eq!(bound_lines.len(), 7);
    let key = test_key(41);
    let mut changed = None;
    for r in 0..RECIPIENTS {
        let (_, text) = tagged_for(Lang::Rust, src, &key, r);
        for line in &bound_lines {
            assert!(
                text.lines().any(|l| l == *line),
                "vendor-{r}: a bound list changed, `{line}` is gone:\n{text}"
            );
        }
        if text != src {
            changed = Some(text);
        }
    }
    // The channels were active on this file (items moved or blank lines
    // changed for somebody), and such a copy behaves as the original.
    let copy = changed.expect("no copy changed at all");
    assert_eq!(run_rust_program(&copy), "false\n", "{copy}");
}

/// Two definitions that differ only in their names look the same to the
/// identities (which ignore names, to survive a renaming), so their order
/// is read from their names. Every copy reads back as its recipient's bit;
/// renaming one of the two moves the pair to another position instead of
/// misreading this one;
/// two definitions of one name still never trade places.
#[test]
fn items_that_look_the_same_are_told_apart_by_their_names() {
    use watermark_core::rendered_value;
    let src = "import os\n\n\ndef test_alpha(x):\n    y = os.sep + x\n    return y\n\n\n\
               def test_beta(x):\n    y = os.sep + x\n    return y\n";
    let key = test_key(41);
    let order_positions = |text: &str| positions_of(&key, Lang::Python, text, ChannelId::ItemOrder);
    let blank_locators = |lang: Lang, text: &str| -> Vec<Locator> {
        let found = positions_of(&key, lang, text, ChannelId::BlankLines);
        found.into_iter().map(|(l, _)| l).collect()
    };
    let mut orders = std::collections::BTreeSet::new();
    for r in 0..RECIPIENTS {
        let (recipient, text) = tagged_for(Lang::Python, src, &key, r);
        let alpha_first = text.find("test_alpha") < text.find("test_beta");
        orders.insert(alpha_first);
        let positions = order_positions(&text);
        assert_eq!(positions.len(), 1, "vendor-{r}: {positions:?}\n{text}");
        let (locator, tally) = positions[0];
        let want = rendered_value(&key, &recipient, CodeParams::default().design, locator);
        assert_eq!(tally.majority(), Some(want), "vendor-{r} misread:\n{text}");
        // A renaming loses the position (the pair is another position
        // then, one no copy was tagged at): it cannot read as another bit.
        let renamed = text.replace("test_beta", "test_gamma");
        let after = order_positions(&renamed);
        assert!(after.iter().all(|(l, _)| *l != locator), "{renamed}");
        assert_eq!(
            blank_locators(Lang::Python, &renamed),
            blank_locators(Lang::Python, &text)
        );
    }
    assert_eq!(orders.len(), 2, "the pair never moved: {orders:?}");
    // The gaps next to such a pair (Rust items have blank-line sites
    // between them) are hashed by an identity without the names: renaming
    // one of the two keeps every blank-line position.
    let rust = "pub fn alpha() -> u32 {\n    helper(1)\n}\n\npub fn beta() -> u32 {\n    helper(1)\n}\n\n\
                pub fn start() -> u32 {\n    let x = 1;\n    x + 1\n}\n\npub fn finish() -> u32 {\n    \
                let y = 2;\n    y * 3\n}\n";
    let before = blank_locators(Lang::Rust, rust);
    assert!(before.len() >= 3, "{before:?}");
    assert_eq!(
        blank_locators(Lang::Rust, &rust.replace("alpha", "gamma")),
        before
    );
    // Same look and same name: nothing to tell them apart by (and the
    // later definition wins), so no position.
    let twice = src.replace("test_beta", "test_alpha");
    assert!(order_positions(&twice).is_empty(), "{twice}");
}

/// Python binds some different spellings to one name: identifiers are read
/// in NFKC form (`ﬁx` is `fix`) and, inside a class, `__f` is stored as
/// `_C__f`. Such definitions never trade places, since the later one wins.
#[test]
fn python_spellings_of_one_name_stay() {
    let module = format!(
        "def \u{fb01}x0(x):\n    return x + 1\n\n\ndef fix0(x):\n    return x + 2\n\n\n\
         def \u{fb01}x1(x):\n    return x + 1\n\n\ndef fix1(x):\n    return x + 1\n\n\n{}",
        python_filler("m")
    );
    assert_kept(
        Lang::Python,
        "NFKC",
        &module,
        &[
            vec!["def \u{fb01}x0", "def fix0"],
            vec!["def \u{fb01}x1", "def fix1"],
        ],
        &[
            "def filler_m_0",
            "def filler_m_1",
            "def filler_m_2",
            "def filler_m_3",
        ],
    );
    let class = "class C:\n    def __f0(self):\n        return self.a\n\n    def _C__f0(self):\n        \
                 return self.b\n\n    def __f1(self):\n        return self.a\n\n    def _C__f1(self):\n        \
                 return self.a\n\n    def g0(self):\n        return 10\n\n    def g1(self):\n        \
                 return 11 + 1\n\n    def g2(self):\n        return 12 * 3\n\n    def g3(self):\n        \
                 return [13]\n";
    assert_kept(
        Lang::Python,
        "mangling",
        class,
        &[
            vec!["def __f0", "def _C__f0"],
            vec!["def __f1", "def _C__f1"],
        ],
        &["def g0", "def g1", "def g2", "def g3"],
    );
}
