//! The CLI contract: commands, exit codes (0 found / 1 nobody / 2 error),
//! JSON fields, never writing into the input, clear per-file messages.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn watermark(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_watermark"))
        .args(args)
        .output()
        .expect("run watermark")
}

fn code(output: &Output) -> i32 {
    output.status.code().expect("exit code")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample/inventory")
}

fn s(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

fn snapshot(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("read_dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push((path.clone(), fs::read(&path).expect("read")));
            }
        }
    }
    out.sort();
    out
}

/// `watermark tag --key KEY --recipient RECIPIENT SRC OUT`.
fn tag(key: &Path, recipient: &str, src: &Path, out: &Path) -> Output {
    watermark(&[
        "tag",
        "--key",
        s(key),
        "--recipient",
        recipient,
        s(src),
        s(out),
    ])
}

/// A new owner key in `dir` and the sample tagged for globex with it, at
/// `dir/copy`.
fn globex_copy(dir: &Path) -> (PathBuf, PathBuf) {
    let key = keygen(dir);
    let copy = dir.join("copy");
    let tagged = tag(&key, "globex", &sample(), &copy);
    assert_eq!(code(&tagged), 0, "{}", stderr(&tagged));
    (key, copy)
}

/// A Python module of twelve small functions: room for marks.
fn twelve_functions() -> String {
    let mut body = String::from("import sys\n\n\n");
    for f in 0..12 {
        body += &format!(
            "def f{f}(x):\n    y = x + {f}\n    z = y * 2\n    w = z - 1\n    return w\n\n\n"
        );
    }
    body
}

fn keygen(dir: &Path) -> PathBuf {
    let key = dir.join("owner.key");
    let out = watermark(&["keygen", "--out", s(&key)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    key
}

#[test]
fn keygen_writes_a_private_pem_openssl_accepts_and_never_overwrites() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = keygen(dir.path());
    let text = fs::read_to_string(&key).expect("key");
    assert!(text.starts_with("-----BEGIN PRIVATE KEY-----"), "{text}");
    let public = fs::read_to_string(dir.path().join("owner.pub")).expect("pub");
    assert!(public.starts_with("-----BEGIN PUBLIC KEY-----"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&key).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let openssl = Command::new("openssl")
        .args(["pkey", "-in", s(&key), "-noout"])
        .output()
        .expect("openssl");
    assert!(
        openssl.status.success(),
        "openssl rejects the key: {}",
        String::from_utf8_lossy(&openssl.stderr)
    );
    let again = watermark(&["keygen", "--out", s(&key)]);
    assert_eq!(code(&again), 2);
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );
    assert_eq!(
        fs::read_to_string(&key).expect("key"),
        text,
        "key overwritten"
    );
}

#[test]
fn keygen_never_writes_a_secret_key_under_a_public_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("owner.pub");
    let run = watermark(&["keygen", "--out", s(&out)]);
    assert_eq!(code(&run), 2, "{}", stderr(&run));
    assert!(stderr(&run).contains(".pub"), "{}", stderr(&run));
    assert!(
        !out.exists(),
        "a secret key was written to {}",
        out.display()
    );
    assert_eq!(fs::read_dir(dir.path()).expect("list").count(), 0);
}

#[test]
fn an_openssl_generated_key_is_accepted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = dir.path().join("ossl.key");
    let gen = Command::new("openssl")
        .args(["genpkey", "-algorithm", "ed25519", "-out", s(&key)])
        .output()
        .expect("openssl");
    assert!(gen.status.success());
    let out = tag(&key, "acme", &sample(), &dir.path().join("copy"));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[test]
fn a_corrupt_or_missing_key_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.key");
    fs::write(
        &bad,
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    )
    .expect("write");
    let huge = dir.path().join("huge.key");
    fs::write(&huge, vec![b'A'; 100_000]).expect("write");
    // A device is never read (/dev/zero would fill memory), nor is a
    // directory or a file larger than any key.
    let mut keys = vec![
        bad,
        dir.path().join("missing.key"),
        huge,
        dir.path().to_owned(),
    ];
    if Path::new("/dev/zero").exists() {
        keys.push(PathBuf::from("/dev/zero"));
    }
    for key in keys {
        let out = tag(&key, "acme", &sample(), &dir.path().join("o"));
        assert_eq!(code(&out), 2);
        assert!(
            stderr(&out).contains(s(&key)),
            "message does not name the key: {}",
            stderr(&out)
        );
        assert!(!dir.path().join("o").exists());
    }
    // A key others may read works, with a warning.
    fs::create_dir(dir.path().join("k")).expect("mkdir");
    let open = keygen(&dir.path().join("k"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&open, fs::Permissions::from_mode(0o644)).expect("chmod");
        let out = tag(&open, "acme", &sample(), &dir.path().join("o"));
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        assert!(
            stderr(&out).contains("readable by others"),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn tag_then_trace_names_the_recipient_with_the_json_contract() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = keygen(dir.path());
    let before = snapshot(&sample());
    let copy = dir.path().join("copy");
    let out = tag(&key, "globex", &sample(), &copy);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(snapshot(&sample()), before, "tag wrote into its input");
    let trace = watermark(&[
        "trace",
        "--key",
        s(&key),
        "--recipients",
        "acme,globex,initech",
        "--json",
        s(&copy),
    ]);
    assert_eq!(code(&trace), 0, "{}", stderr(&trace));
    let json: serde_json::Value = serde_json::from_slice(&trace.stdout).expect("json");
    assert_eq!(json["accused"].as_array().map(Vec::len), Some(1));
    let accused = &json["accused"][0];
    assert_eq!(accused["recipient"], "globex");
    for field in ["score", "threshold", "p_value"] {
        assert!(accused[field].is_number(), "{field} missing: {accused}");
    }
    assert!(accused["score"].as_f64() > accused["threshold"].as_f64());
    assert!(json["positions_observed"].as_u64().expect("positions") > 100);
    assert_eq!(json["files_scanned"].as_u64(), Some(14));
    assert_eq!(json["verdict"], "named");
    assert!(json["key_id"].is_string() && json["tool_version"].is_string());
    assert!(
        json["looks"].as_array().is_some_and(|l| l.len() > 1),
        "{}",
        json["looks"]
    );

    // The untagged original names nobody: exit 1.
    let clean = watermark(&[
        "trace",
        "--key",
        s(&key),
        "--recipients",
        "acme,globex,initech",
        s(&sample()),
    ]);
    assert_eq!(code(&clean), 1, "{}", stderr(&clean));
    assert!(String::from_utf8_lossy(&clean.stdout).contains("nobody named"));

    // A single leaked file is traced too.
    let file = copy.join("src/stock.rs");
    let single = watermark(&[
        "trace",
        "--key",
        s(&key),
        "--recipients",
        "acme,globex,initech",
        "--json",
        s(&file),
    ]);
    let json: serde_json::Value = serde_json::from_slice(&single.stdout).expect("json");
    assert_eq!(json["files_scanned"].as_u64(), Some(1));
    if code(&single) == 0 {
        assert_eq!(json["accused"][0]["recipient"], "globex");
    } else {
        assert_eq!(code(&single), 1);
    }
    // Saved under a name that selects no language, it is read as a
    // snippet (language detected), with the same verdict.
    let renamed = dir.path().join("stock.rs.txt");
    fs::copy(&file, &renamed).expect("copy");
    let again = watermark(&[
        "trace",
        "--key",
        s(&key),
        "--recipients",
        "acme,globex,initech",
        "--json",
        s(&renamed),
    ]);
    assert_eq!(code(&again), code(&single), "{}", stderr(&again));
    let back: serde_json::Value = serde_json::from_slice(&again.stdout).expect("json");
    assert_eq!(back["accused"], json["accused"]);
    assert_eq!(back["positions_observed"], json["positions_observed"]);
}

#[test]
fn a_leaker_s_gitignore_hides_nothing_from_trace() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (key, copy) = globex_copy(dir.path());
    // Whoever leaked the copy controls its ignore files.
    fs::write(copy.join(".gitignore"), "*.rs\n*.py\n").expect("write");
    fs::write(copy.join(".ignore"), "*\n").expect("write");
    let trace = |extra: &[&str]| {
        let mut args = vec![
            "trace",
            "--key",
            s(&key),
            "--recipients",
            "acme,globex,initech",
        ];
        args.extend_from_slice(extra);
        args.push(s(&copy));
        watermark(&args)
    };
    let read = trace(&[]);
    assert_eq!(code(&read), 0, "{}", stderr(&read));
    assert!(
        String::from_utf8_lossy(&read.stdout).contains("verdict: globex"),
        "{}",
        String::from_utf8_lossy(&read.stdout)
    );
    // Only when asked does trace respect them, and then it reads nothing.
    let hidden = trace(&["--respect-ignore"]);
    assert_eq!(code(&hidden), 2, "{}", stderr(&hidden));
}

#[test]
fn tag_refuses_to_write_inside_its_input_or_over_anything() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = keygen(dir.path());
    let input = dir.path().join("in");
    fs::create_dir_all(input.join("src")).expect("mkdir");
    fs::write(
        input.join("src/lib.rs"),
        "fn a() {\n    let x = 1;\n    let y = 2;\n}\n",
    )
    .expect("write");
    let before = snapshot(&input);
    let inside = tag(&key, "acme", &input, &input.join("out"));
    assert_eq!(code(&inside), 2);
    assert!(
        stderr(&inside).contains("inside input"),
        "{}",
        stderr(&inside)
    );
    let existing = dir.path().join("existing");
    fs::create_dir(&existing).expect("mkdir");
    fs::write(existing.join("keep.txt"), "precious").expect("write");
    let over = tag(&key, "acme", &input, &existing);
    assert_eq!(code(&over), 2);
    assert!(
        stderr(&over).contains("already exists"),
        "{}",
        stderr(&over)
    );
    assert_eq!(
        fs::read_to_string(existing.join("keep.txt")).expect("kept"),
        "precious"
    );
    assert_eq!(snapshot(&input), before);
    // Leftover staging folders would be litter: none.
    let litter: Vec<_> = fs::read_dir(dir.path())
        .expect("read_dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".watermark-"))
        .collect();
    assert!(litter.is_empty(), "{litter:?}");
}

#[test]
fn per_file_problems_are_reported_with_file_and_position_and_the_run_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = keygen(dir.path());
    let input = dir.path().join("in");
    fs::create_dir_all(&input).expect("mkdir");
    fs::write(
        input.join("broken.py"),
        "def ok():\n    pass\n\ndef broken(:\n    pass\n",
    )
    .expect("write");
    fs::write(
        input.join("fine.py"),
        "def f():\n    a = 1\n    b = 2\n    return a + b\n",
    )
    .expect("write");
    let out = tag(&key, "acme", &input, &dir.path().join("out"));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("broken.py: syntax error at 4:"), "{err}");
    assert_eq!(
        fs::read(dir.path().join("out/broken.py")).expect("copied"),
        fs::read(input.join("broken.py")).expect("in")
    );
    assert!(dir.path().join("out/fine.py").is_file());
}

#[test]
fn usage_errors_and_missing_inputs_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = keygen(dir.path());
    assert_eq!(
        code(&watermark(&["trace", "--key", s(&key), s(dir.path())])),
        2,
        "no candidates"
    );
    let missing = watermark(&[
        "trace",
        "--key",
        s(&key),
        "--recipients",
        "a",
        s(&dir.path().join("nope")),
    ]);
    assert_eq!(code(&missing), 2);
    assert!(stderr(&missing).contains("nope"));
    assert_eq!(
        code(&watermark(&[
            "trace",
            "--key",
            s(&key),
            "--recipients",
            "a,b",
            "--epsilon",
            "2",
            s(dir.path())
        ])),
        2
    );
    assert_eq!(
        code(&watermark(&[
            "tag",
            "--key",
            s(&key),
            "--recipient",
            "",
            s(dir.path()),
            "x"
        ])),
        2
    );
    assert_eq!(code(&watermark(&["frobnicate"])), 2);
}

#[test]
fn inspect_reports_sites_per_file() {
    let out = watermark(&["inspect", "--json", s(&sample())]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let files = json.as_array().expect("array");
    assert_eq!(files.len(), 14);
    let sites: u64 = files
        .iter()
        .flat_map(|f| f["channels"].as_array().expect("channels").iter())
        .map(|c| c["sites"].as_u64().expect("sites"))
        .sum();
    assert!(sites > 500, "{sites}");
    let text = watermark(&["inspect", s(&sample())]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("per 1,000 lines"));
}

/// A file with syntax tree-sitter lacks: `inspect` names the error and
/// the lines left alone, counts only what a tag may edit, and `tag`
/// warns, leaves those lines as they are and tags the rest.
#[test]
fn syntax_errors_are_shown_and_the_rest_is_tagged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = keygen(dir.path());
    let mut src =
        String::from("fn bounded() -> u8\nwhere\n    (): Copy,\n{\n    let a = 1;\n\n    a\n}\n\n");
    for f in 0..12 {
        src +=
            &format!("fn f{f}() -> u8 {{\n    let a = {f};\n\n    let b = a + 1;\n    b\n}}\n\n");
    }
    let input = dir.path().join("lib.rs");
    fs::write(&input, &src).expect("write");
    let out = watermark(&["inspect", "--refusals", s(&input)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("syntax error at 3:6; the code around it is left alone"),
        "{text}"
    );
    assert!(
        text.contains("lib.rs:1: all: left alone: lines 1-15 hold a syntax error"),
        "{text}"
    );
    let json = watermark(&["inspect", "--json", s(&input)]);
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    assert_eq!(json[0]["syntax_error"]["line"], 3, "{json}");
    let tagged = tag(&key, "acme", &input, &dir.path().join("out.rs"));
    assert_eq!(code(&tagged), 0, "{}", stderr(&tagged));
    assert!(
        stderr(&tagged).contains("lib.rs: syntax error at 3:6; the code around it is left alone, the rest carries the mark"),
        "{}",
        stderr(&tagged)
    );
    assert!(
        String::from_utf8_lossy(&tagged.stdout)
            .contains("edits); 1 of these files around syntax errors;"),
        "{}",
        String::from_utf8_lossy(&tagged.stdout)
    );
    let copy = fs::read_to_string(dir.path().join("out.rs")).expect("tagged");
    let kept = "fn bounded() -> u8\nwhere\n    (): Copy,\n{\n    let a = 1;\n\n    a\n}\n\nfn f0() -> u8 {\n    let a = 0;\n\n    let b = a + 1;\n";
    assert!(copy.starts_with(kept), "{copy}");
    assert_ne!(copy, src, "nothing else was tagged");
}

#[test]
fn ignored_files_and_line_readers_are_named_in_the_tag_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = keygen(dir.path());
    let src = dir.path().join("src");
    fs::create_dir_all(src.join("pkg")).expect("mkdir");
    fs::write(src.join(".gitignore"), "_version.py\n").expect("write");
    fs::write(src.join("pkg/_version.py"), "version = '1.0'\n").expect("write");
    let mut body = String::from("import sys\n\n\n");
    for f in 0..8 {
        body += &format!("def f{f}(x):\n    y = x + {f}\n\n    return y\n\n\n");
    }
    fs::write(src.join("pkg/plain.py"), &body).expect("write");
    let reader = body + "def where():\n    return sys._getframe(1).f_lineno\n";
    fs::write(src.join("pkg/reader.py"), &reader).expect("write");
    let out = dir.path().join("out");
    let tagged = tag(&key, "acme", &src, &out);
    assert_eq!(code(&tagged), 0, "{}", stderr(&tagged));
    let stdout = String::from_utf8_lossy(&tagged.stdout);
    assert!(
        stdout.contains("1 files kept out by .gitignore / .ignore rules were not delivered (the first: pkg/_version.py); --no-ignore delivers them"),
        "{stdout}"
    );
    assert!(!out.join("pkg/_version.py").exists());
    assert!(
        stderr(&tagged).contains("pkg/reader.py: the code reads its own line numbers (`f_lineno` at 53:29); file left unchanged"),
        "{}",
        stderr(&tagged)
    );
    assert_eq!(
        fs::read_to_string(out.join("pkg/reader.py")).expect("read"),
        reader
    );
    let all = dir.path().join("all");
    let json = watermark(&[
        "tag",
        "--key",
        s(&key),
        "--recipient",
        "acme",
        "--no-ignore",
        "--json",
        "--receipt",
        s(&dir.path().join("all.receipt.json")),
        s(&src),
        s(&all),
    ]);
    assert_eq!(code(&json), 0, "{}", stderr(&json));
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    assert_eq!(json["left_out"], serde_json::json!([]), "{json}");
    assert!(all.join("pkg/_version.py").exists());
}

#[test]
fn verbatim_files_are_delivered_unchanged_and_unsigned() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = keygen(dir.path());
    let src = dir.path().join("src");
    fs::create_dir_all(src.join("gen")).expect("mkdir");
    let body = twelve_functions();
    fs::write(src.join("plain.py"), &body).expect("write");
    fs::write(src.join("gen/model_pb2.py"), &body).expect("write");
    let out = dir.path().join("out");
    let tagged = watermark(&[
        "tag",
        "--key",
        s(&key),
        "--recipient",
        "acme",
        "--signed-comments",
        "--verbatim",
        "gen/**",
        "--json",
        s(&src),
        s(&out),
    ]);
    assert_eq!(code(&tagged), 0, "{}", stderr(&tagged));
    // Asked for, so not warned about.
    assert!(
        !stderr(&tagged).contains("model_pb2"),
        "{}",
        stderr(&tagged)
    );
    // The matching file is byte for byte the input, without a comment; the
    // other one is tagged and signed.
    assert_eq!(
        fs::read_to_string(out.join("gen/model_pb2.py")).expect("read"),
        body
    );
    let plain = fs::read_to_string(out.join("plain.py")).expect("read");
    assert_ne!(plain, body);
    assert!(plain.contains("watermark-signed:"), "{plain}");
    assert!(!body.contains("watermark-signed:"));
    let json: serde_json::Value = serde_json::from_slice(&tagged.stdout).expect("json");
    let text = json.to_string();
    assert!(text.contains("gen/**"), "{text}");
    // A malformed glob is an error naming the option, before anything is written.
    let bad = watermark(&[
        "tag",
        "--key",
        s(&key),
        "--recipient",
        "acme",
        "--verbatim",
        "gen/[",
        s(&src),
        s(&dir.path().join("bad")),
    ]);
    assert_eq!(code(&bad), 2, "{}", stderr(&bad));
    assert!(stderr(&bad).contains("--verbatim"), "{}", stderr(&bad));
    assert!(!dir.path().join("bad").exists());
}

#[test]
fn generated_files_are_delivered_unchanged_unless_asked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = keygen(dir.path());
    let src = dir.path().join("src");
    fs::create_dir_all(&src).expect("mkdir");
    let body = twelve_functions();
    let generated = format!(
        "# -*- coding: utf-8 -*-\n# Generated by the protocol buffer compiler.  DO NOT EDIT!\n{body}"
    );
    fs::write(src.join("plain.py"), &body).expect("write");
    fs::write(src.join("model_pb2.py"), &generated).expect("write");
    let tag = |out: &Path, extra: &[&str]| {
        let mut args = vec!["tag", "--key", s(&key), "--recipient", "acme"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&[s(&src), s(out)]);
        watermark(&args)
    };
    let out = dir.path().join("out");
    let tagged = tag(&out, &[]);
    assert_eq!(code(&tagged), 0, "{}", stderr(&tagged));
    // Said once in the summary, not warned about per file.
    let summary = String::from_utf8_lossy(&tagged.stdout);
    assert!(
        summary.contains("1 of these are marked as generated")
            && summary.contains("model_pb2.py")
            && summary.contains("--tag-generated"),
        "{summary}"
    );
    assert!(
        !stderr(&tagged).contains("model_pb2"),
        "{}",
        stderr(&tagged)
    );
    assert_eq!(
        fs::read_to_string(out.join("model_pb2.py")).expect("read"),
        generated
    );
    assert_ne!(
        fs::read_to_string(out.join("plain.py")).expect("read"),
        body
    );
    // The JSON names the phrase and its line.
    let json_out = dir.path().join("json");
    let json = tag(&json_out, &["--json"]);
    assert_eq!(code(&json), 0, "{}", stderr(&json));
    let text = String::from_utf8_lossy(&json.stdout);
    assert!(
        text.contains("do not edit") && text.contains("\"line\": 2"),
        "{text}"
    );
    // Asked to, it tags them like any other file.
    let all = dir.path().join("all");
    let tagged = tag(&all, &["--tag-generated"]);
    assert_eq!(code(&tagged), 0, "{}", stderr(&tagged));
    assert_ne!(
        fs::read_to_string(all.join("model_pb2.py")).expect("read"),
        generated
    );
}

/// Unix file names need not be UTF-8; every `--json` report shows such a
/// name with U+FFFD for the bad byte instead of panicking or cutting the
/// JSON short.
#[cfg(unix)]
#[test]
fn json_reports_survive_file_names_that_are_not_utf8() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let key = keygen(dir.path());
    let src = dir.path().join("src");
    fs::create_dir_all(&src).expect("mkdir");
    let odd = std::ffi::OsStr::from_bytes(b"bad\xffname.rs");
    fs::copy(sample().join("src/stock.rs"), src.join(odd)).expect("copy");
    fs::copy(sample().join("src/lib.rs"), src.join("lib.rs")).expect("copy");
    let json = |output: &Output| -> serde_json::Value {
        assert_eq!(code(output), 0, "{}", stderr(output));
        assert!(!stderr(output).contains("panicked"), "{}", stderr(output));
        serde_json::from_slice(&output.stdout).expect("valid JSON")
    };
    let out = dir.path().join("out");
    let tagged = json(&watermark(&[
        "tag",
        "--key",
        s(&key),
        "--recipient",
        "acme",
        "--signed-comments",
        "--json",
        s(&src),
        s(&out),
    ]));
    assert!(
        tagged.to_string().contains("bad\u{fffd}name.rs"),
        "{tagged}"
    );
    let inspected = json(&watermark(&["inspect", "--json", s(&src)]));
    assert!(inspected.to_string().contains("bad\u{fffd}name.rs"));
    let pubkey = key.with_extension("pub");
    let verified = json(&watermark(&[
        "verify",
        "--pubkey",
        s(&pubkey),
        "--json",
        s(&out),
    ]));
    assert!(verified.to_string().contains("bad\u{fffd}name.rs"));
}

/// A full disk on stdout is an error (exit 2), not a panic, and the demo's
/// temporary files go with it.
#[cfg(target_os = "linux")]
#[test]
fn the_demo_reports_a_full_stdout() {
    let full = fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let tmp = tempfile::tempdir().expect("tempdir");
    let run = Command::new(env!("CARGO_BIN_EXE_watermark"))
        .arg("demo")
        .env("TMPDIR", tmp.path())
        .stdout(full)
        .output()
        .expect("run watermark");
    assert_eq!(code(&run), 2, "{}", stderr(&run));
    assert!(!stderr(&run).contains("panicked"), "{}", stderr(&run));
    assert_eq!(
        fs::read_dir(tmp.path()).expect("list").count(),
        0,
        "demo files left behind"
    );
}

#[test]
fn a_delivery_without_any_site_is_warned_about() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = keygen(dir.path());
    let src = dir.path().join("src");
    fs::create_dir_all(&src).expect("mkdir");
    fs::write(src.join("index.js"), "console.log(1);\n").expect("write");
    fs::write(src.join("empty.py"), "").expect("write");
    let run = watermark(&[
        "tag",
        "--key",
        s(&key),
        "--recipient",
        "acme",
        s(&src),
        s(&dir.path().join("out")),
    ]);
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    assert!(
        stderr(&run).contains("nothing in this delivery carries a mark"),
        "{}",
        stderr(&run)
    );
    // A tagged tree is not warned about.
    let tagged = tag(&key, "acme", &sample(), &dir.path().join("copy"));
    assert!(
        !stderr(&tagged).contains("carries a mark"),
        "{}",
        stderr(&tagged)
    );
}

/// A reader that goes away early (`| head`) is not the command's outcome:
/// exit 141, as for a process killed by SIGPIPE, in text and in JSON.
#[test]
fn a_closed_stdout_exits_141() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (key, copy) = globex_copy(dir.path());
    // Enough candidates that the report outgrows the pipe's buffer.
    let many: Vec<String> = (0..3000).map(|i| format!("vendor-{i}")).collect();
    let many = format!("globex,{}", many.join(","));
    for json in [false, true] {
        let mut args = vec![
            "trace",
            "--key",
            s(&key),
            "--recipients",
            &many,
            "--show",
            "3000",
        ];
        if json {
            args.push("--json");
        }
        args.push(s(&copy));
        let mut child = Command::new(env!("CARGO_BIN_EXE_watermark"))
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        drop(child.stdout.take());
        let status = child.wait().expect("wait");
        assert_eq!(status.code(), Some(141), "json: {json}");
    }
}

#[test]
fn the_demo_names_the_leaker() {
    let out = watermark(&["demo"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("verdict: initech"), "{text}");
    assert!(
        text.contains("the untagged original names nobody"),
        "{text}"
    );
}

/// Issue 4 end to end through the CLI: signed comments, a receipt beside
/// the output, the ledger beside the key; then, with the secret deleted,
/// `verify` of the tree, the receipt and the ledger with the public key
/// alone, and each kind of tampering reported with exit 1.
#[test]
fn provenance_round_trip_with_the_public_key_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = keygen(dir.path());
    let public = dir.path().join("owner.pub");
    let ledger = dir.path().join("owner.ledger.jsonl");
    let out = dir.path().join("acme");
    let notice = "Licensed to ACME under agreement #123";
    let tagged = watermark(&[
        "tag",
        "--key",
        s(&key),
        "--recipient",
        "acme",
        "--signed-comments",
        "--notice",
        notice,
        "--delivery-id",
        "d-1",
        s(&sample()),
        s(&out),
    ]);
    assert_eq!(code(&tagged), 0, "{}", stderr(&tagged));
    let receipt = dir.path().join("acme.receipt.json");
    assert!(receipt.is_file(), "receipt beside the output");
    assert!(ledger.is_file() && dir.path().join("owner.ledger.jsonl.head").is_file());
    // A second delivery, comments on a glob only, receipt named.
    let out2 = dir.path().join("globex");
    let receipt2 = dir.path().join("globex-receipt.json");
    let tagged = watermark(&[
        "tag",
        "--key",
        s(&key),
        "--recipient",
        "globex",
        "--signed-comments-glob",
        "**/*.py",
        "--receipt",
        s(&receipt2),
        s(&sample()),
        s(&out2),
    ]);
    assert_eq!(code(&tagged), 0, "{}", stderr(&tagged));
    // The ledger gives trace its candidates.
    let traced = watermark(&[
        "trace",
        "--key",
        s(&key),
        "--ledger",
        s(&ledger),
        "--json",
        s(&out2),
    ]);
    assert_eq!(code(&traced), 0, "{}", stderr(&traced));
    let verdict: serde_json::Value = serde_json::from_slice(&traced.stdout).expect("json");
    assert_eq!(verdict["accused"][0]["recipient"], "globex");
    assert_eq!(verdict["candidates"].as_array().map(Vec::len), Some(2));

    fs::remove_file(&key).expect("delete the secret");
    let verify = |path: &Path| watermark(&["verify", "--pubkey", s(&public), s(path)]);
    let ok = watermark(&["verify", "--pubkey", s(&public), "--json", s(&out)]);
    assert_eq!(code(&ok), 0, "{}", String::from_utf8_lossy(&ok.stdout));
    let report: serde_json::Value = serde_json::from_slice(&ok.stdout).expect("json");
    let signed = report["valid"].as_u64().expect("count");
    assert!(signed >= 2, "{report}");
    assert_eq!(report["unsigned"], 0);
    let against = watermark(&[
        "verify",
        "--pubkey",
        s(&public),
        "--against",
        s(&out),
        s(&receipt),
    ]);
    assert_eq!(
        code(&against),
        0,
        "{}",
        String::from_utf8_lossy(&against.stdout)
    );
    // A file added to the delivery is a change too.
    let added = out.join("src/backdoor.rs");
    fs::write(&added, "pub fn open() {}\n").expect("write");
    let with_added = watermark(&[
        "verify",
        "--pubkey",
        s(&public),
        "--against",
        s(&out),
        s(&receipt),
    ]);
    let report = String::from_utf8_lossy(&with_added.stdout);
    assert_eq!(code(&with_added), 1, "{report}");
    assert!(report.contains("src/backdoor.rs: NotInReceipt"), "{report}");
    fs::remove_file(&added).expect("remove");
    let ledger_ok = watermark(&["ledger", "verify", "--pubkey", s(&public), s(&ledger)]);
    assert_eq!(code(&ledger_ok), 0);
    assert!(String::from_utf8_lossy(&ledger_ok.stdout).contains("2 deliveries"));
    // The glob delivery: Python files signed, Rust files not.
    let partial = watermark(&["verify", "--pubkey", s(&public), "--json", s(&out2)]);
    let partial: serde_json::Value = serde_json::from_slice(&partial.stdout).expect("json");
    assert!(partial["valid"].as_u64() > Some(0) && partial["unsigned"].as_u64() > Some(0));
    // Every verify report says in one field what its exit code says.
    assert_eq!(partial["ok"], true);
    for (path, against) in [(&receipt, Some(&out)), (&ledger, None)] {
        let mut args = vec!["verify", "--pubkey", s(&public), "--json"];
        if let Some(tree) = against {
            args.extend(["--against", s(tree)]);
        }
        args.push(s(path));
        let run = watermark(&args);
        let value: serde_json::Value = serde_json::from_slice(&run.stdout).expect("json");
        assert_eq!(value["ok"], code(&run) == 0, "{value}");
    }

    // Tampering.
    let signed_file = watermark_core_files(&out)
        .into_iter()
        .find(|p| fs::read_to_string(p).is_ok_and(|t| t.contains("watermark-signed:")))
        .expect("a signed file");
    let text = fs::read_to_string(&signed_file).expect("read");
    fs::write(&signed_file, format!("{text}\n\n")).expect("write");
    assert_eq!(code(&verify(&out)), 0, "blank lines are whitespace");
    fs::write(&signed_file, text.replace(notice, "Licensed to nobody")).expect("write");
    let bad = verify(&out);
    assert_eq!(code(&bad), 1);
    assert!(String::from_utf8_lossy(&bad.stdout).contains("INVALID"));
    let last_code_line = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty() && !l.trim_start().starts_with(['#', '/']))
        .expect("code");
    let changed = text.replace(last_code_line, &format!("{last_code_line} + 0"));
    fs::write(&signed_file, &changed).expect("write");
    let bad = verify(&out);
    assert_eq!(code(&bad), 1);
    assert!(String::from_utf8_lossy(&bad.stdout).contains("CODE CHANGED"));
    let bad = watermark(&[
        "verify",
        "--pubkey",
        s(&public),
        "--against",
        s(&out),
        s(&receipt),
    ]);
    assert_eq!(code(&bad), 1, "the receipt sees the changed file");
    let mut entries = fs::read(&ledger).expect("read");
    entries[30] ^= 1;
    fs::write(&ledger, &entries).expect("write");
    let bad = watermark(&["ledger", "verify", "--pubkey", s(&public), s(&ledger)]);
    assert_eq!(code(&bad), 1);
    assert!(
        String::from_utf8_lossy(&bad.stdout).contains(":1:"),
        "{}",
        String::from_utf8_lossy(&bad.stdout)
    );
    let mut r = fs::read(&receipt).expect("read");
    r[40] ^= 1;
    fs::write(&receipt, &r).expect("write");
    assert_eq!(code(&verify(&receipt)), 1);
    // Nothing signed at all: exit 1.
    assert_eq!(code(&verify(&sample())), 1);
}

/// Receipts are never overwritten nor put inside the delivery, and the
/// refusal comes before any output is written.
#[test]
fn receipts_are_never_overwritten_or_delivered() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = keygen(dir.path());
    let existing = dir.path().join("r.json");
    fs::write(&existing, "keep").expect("write");
    let out = dir.path().join("out");
    let tag_with_receipt = |receipt: &Path| {
        watermark(&[
            "tag",
            "--key",
            s(&key),
            "--recipient",
            "acme",
            "--receipt",
            s(receipt),
            s(&sample()),
            s(&out),
        ])
    };
    let over = tag_with_receipt(&existing);
    assert_eq!(code(&over), 2);
    assert!(
        stderr(&over).contains("already exists"),
        "{}",
        stderr(&over)
    );
    assert_eq!(fs::read_to_string(&existing).expect("kept"), "keep");
    let inside = tag_with_receipt(&out.join("receipt.json"));
    assert_eq!(code(&inside), 2);
    assert!(
        stderr(&inside).contains("inside the delivered tree"),
        "{}",
        stderr(&inside)
    );
    assert!(!out.exists(), "nothing written after a refusal");
    let stray = watermark(&[
        "tag",
        "--key",
        s(&key),
        "--recipient",
        "acme",
        "--notice",
        "x",
        s(&sample()),
        s(&out),
    ]);
    assert_eq!(
        code(&stray),
        2,
        "--notice without comments is a usage error"
    );
    // A control character would be written into every delivered file.
    let escape = watermark(&[
        "tag",
        "--key",
        s(&key),
        "--recipient",
        "acme",
        "--signed-comments",
        "--notice",
        "Licensed \u{1b}[31mRED",
        s(&sample()),
        s(&out),
    ]);
    assert_eq!(code(&escape), 2, "{}", stderr(&escape));
    assert!(
        stderr(&escape).contains("control characters"),
        "{}",
        stderr(&escape)
    );
    assert!(!out.exists());
    // Nor does the ledger go into the source tree (never written to) or
    // the delivery (the recipient's).
    let src = dir.path().join("src");
    fs::create_dir_all(&src).expect("mkdir");
    fs::copy(sample().join("src/lib.rs"), src.join("lib.rs")).expect("copy");
    let before = snapshot(&src);
    for ledger in [src.join("deliveries.jsonl"), out.join("deliveries.jsonl")] {
        let run = watermark(&[
            "tag",
            "--key",
            s(&key),
            "--recipient",
            "acme",
            "--ledger",
            s(&ledger),
            s(&src),
            s(&out),
        ]);
        assert_eq!(code(&run), 2, "{}", stderr(&run));
        assert!(
            stderr(&run).contains("--ledger elsewhere"),
            "{}",
            stderr(&run)
        );
        assert!(!out.exists(), "nothing written after a refusal");
        assert_eq!(snapshot(&src), before, "the source tree was written to");
    }
}

/// Two `tag` processes started together on one ledger: both entries land
/// and the ledger verifies.
#[test]
fn two_concurrent_tag_runs_share_one_ledger() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = keygen(dir.path());
    let ledger = dir.path().join("shared.jsonl");
    // Started together; each holds the ledger's lock only to append.
    let spawned: Vec<_> = ["a1", "a2", "a3", "a4"]
        .iter()
        .map(|who| {
            Command::new(env!("CARGO_BIN_EXE_watermark"))
                .args([
                    "tag",
                    "--key",
                    s(&key),
                    "--recipient",
                    who,
                    "--ledger",
                    s(&ledger),
                    s(&sample()),
                    s(&dir.path().join(who)),
                ])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    for child in spawned {
        let out = child.wait_with_output().expect("wait");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let verified = watermark(&[
        "ledger",
        "verify",
        "--pubkey",
        s(&dir.path().join("owner.pub")),
        "--json",
        s(&ledger),
    ]);
    assert_eq!(
        code(&verified),
        0,
        "{}",
        String::from_utf8_lossy(&verified.stdout)
    );
    let report: serde_json::Value = serde_json::from_slice(&verified.stdout).expect("json");
    assert_eq!(report["entries_verified"], 4);
}

fn watermark_core_files(root: &Path) -> Vec<PathBuf> {
    snapshot(root).into_iter().map(|(p, _)| p).collect()
}

/// Key rotation: deliveries signed under two keys; `verify` and `ledger
/// verify` take both public keys, `trace` both secrets.
#[test]
fn rotated_keys_verify_and_trace_together() {
    let dir = tempfile::tempdir().expect("tempdir");
    let old = keygen(dir.path());
    let new_dir = dir.path().join("2027");
    fs::create_dir(&new_dir).expect("mkdir");
    let new = keygen(&new_dir);
    let ledger = dir.path().join("deliveries.jsonl");
    for (key, who) in [(&old, "acme"), (&new, "globex")] {
        let out = watermark(&[
            "tag",
            "--key",
            s(key),
            "--recipient",
            who,
            "--signed-comments",
            "--ledger",
            s(&ledger),
            s(&sample()),
            s(&dir.path().join(who)),
        ]);
        // A ledger holds one key's entries: the second key starts its own.
        if code(&out) != 0 {
            assert!(stderr(&out).contains("ledger"), "{}", stderr(&out));
            let own = new_dir.join("deliveries.jsonl");
            let out = watermark(&[
                "tag",
                "--key",
                s(key),
                "--recipient",
                who,
                "--signed-comments",
                "--ledger",
                s(&own),
                s(&sample()),
                s(&dir.path().join(who)),
            ]);
            assert_eq!(code(&out), 0, "{}", stderr(&out));
        }
    }
    let old_pub = dir.path().join("owner.pub");
    let new_pub = new_dir.join("owner.pub");
    for who in ["acme", "globex"] {
        let tree = dir.path().join(who);
        let both = watermark(&[
            "verify",
            "--pubkey",
            s(&old_pub),
            "--pubkey",
            s(&new_pub),
            s(&tree),
        ]);
        assert_eq!(
            code(&both),
            0,
            "{who}: {}",
            String::from_utf8_lossy(&both.stdout)
        );
        let traced = watermark(&[
            "trace",
            "--key",
            s(&old),
            "--key",
            s(&new),
            "--recipients",
            "acme,globex,initech",
            "--json",
            s(&tree),
        ]);
        assert_eq!(code(&traced), 0, "{}", stderr(&traced));
        let verdict: serde_json::Value = serde_json::from_slice(&traced.stdout).expect("json");
        assert_eq!(verdict["accused"][0]["recipient"], who);
        // The stated guarantee covers both keys: the default epsilon,
        // split between them in each candidate's bound.
        assert_eq!(verdict["epsilon"], 1e-9);
        let alpha = verdict["log10_alpha_per_candidate"]
            .as_f64()
            .expect("number");
        assert!(
            (alpha - (1e-9f64 / 2.0 / 3.0).log10()).abs() < 1e-9,
            "{alpha}"
        );
    }
    // One key alone does not vouch for the other's files.
    let only_old = watermark(&[
        "verify",
        "--pubkey",
        s(&old_pub),
        s(&dir.path().join("globex")),
    ]);
    assert_eq!(code(&only_old), 1);
    assert!(String::from_utf8_lossy(&only_old.stdout).contains("key not given"));
}

/// Archives (read in memory), a snippet on stdin and merged evidence
/// shards give the same verdict as the tree or file they hold.
#[test]
fn archives_stdin_and_evidence_shards_give_the_tree_verdict() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (key, copy) = globex_copy(dir.path());
    let who = "acme,globex,initech,umbrella,hooli";
    let trace = |suspect: &Path| -> serde_json::Value {
        let out = watermark(&[
            "trace",
            "--key",
            s(&key),
            "--recipients",
            who,
            "--json",
            s(suspect),
        ]);
        assert_eq!(code(&out), 0, "{}: {}", suspect.display(), stderr(&out));
        serde_json::from_slice(&out.stdout).expect("json")
    };
    // The same verdict; a look at one file names it by its path in the
    // suspect, which in an archive may sit under a folder of its own.
    let same = |a: &serde_json::Value, b: &serde_json::Value, what: &str| {
        let strip = |v: &serde_json::Value| {
            let mut v = v.clone();
            for c in v.as_array_mut().expect("list") {
                c.as_object_mut().expect("object").remove("look");
            }
            v
        };
        for field in ["accused", "candidates"] {
            assert_eq!(
                strip(&a[field]),
                strip(&b[field]),
                "{what}: {field} differs"
            );
            for (x, y) in a[field]
                .as_array()
                .into_iter()
                .flatten()
                .zip(b[field].as_array().into_iter().flatten())
            {
                let (x, y) = (
                    x["look"].as_str().expect("look"),
                    y["look"].as_str().expect("look"),
                );
                assert!(
                    x.ends_with(y) || y.ends_with(x),
                    "{what}: looks {x} and {y}"
                );
            }
        }
        for field in ["positions_observed", "files_scanned", "looks"] {
            if field == "looks" {
                assert_eq!(
                    a[field].as_array().map(Vec::len),
                    b[field].as_array().map(Vec::len),
                    "{what}: looks differ"
                );
            } else {
                assert_eq!(a[field], b[field], "{what}: {field} differs");
            }
        }
    };
    let tree = trace(&copy);
    assert_eq!(tree["accused"][0]["recipient"], "globex");
    let tgz = dir.path().join("leak.tar.gz");
    let tar = Command::new("tar")
        .args(["czf", s(&tgz), "-C", s(dir.path()), "copy"])
        .status()
        .expect("tar");
    assert!(tar.success());
    same(&tree, &trace(&tgz), "tar.gz");
    let zip = dir.path().join("leak.zip");
    let zipped = Command::new("python3")
        .args(["-m", "zipfile", "-c", s(&zip), s(&copy)])
        .status()
        .expect("python3 zipfile");
    assert!(zipped.success());
    same(&tree, &trace(&zip), "zip");
    // One corrupt member, or an archive cut in half, still gives a
    // verdict from the rest, and the damage is named.
    let damaged = Command::new("python3")
        .current_dir(dir.path())
        .args([
            "-c",
            "import zipfile\n\
             z = zipfile.ZipFile('leak.zip')\n\
             m = [i for i in z.infolist() if i.filename.endswith('stock.rs')][0]\n\
             b = bytearray(open('leak.zip', 'rb').read())\n\
             b[m.header_offset + 30 + len(m.filename) + len(m.extra) + 10] ^= 0xff\n\
             open('onebad.zip', 'wb').write(b)\n\
             t = open('leak.tar.gz', 'rb').read()\n\
             open('half.tgz', 'wb').write(t[: len(t) // 2])\n",
        ])
        .status()
        .expect("python3");
    assert!(damaged.success());
    for name in ["onebad.zip", "half.tgz"] {
        let out = watermark(&[
            "trace",
            "--key",
            s(&key),
            "--recipients",
            who,
            s(&dir.path().join(name)),
        ]);
        assert_eq!(code(&out), 0, "{name}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("unreadable"),
            "{name}: {}",
            stderr(&out)
        );
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("verdict: globex"),
            "{name}"
        );
    }

    // One file, by path and pasted on stdin.
    let file = snapshot(&copy)
        .into_iter()
        .filter(|(p, _)| p.extension().is_some_and(|e| e == "py"))
        .max_by_key(|(_, b)| b.len())
        .expect("a python file");
    let by_path = trace(&file.0);
    let mut child = Command::new(env!("CARGO_BIN_EXE_watermark"))
        .args([
            "trace",
            "--key",
            s(&key),
            "--recipients",
            who,
            "--json",
            "-",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), &file.1).expect("pipe");
    let out = child.wait_with_output().expect("wait");
    let pasted: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    same(&by_path, &pasted, "stdin");

    // Shards: evidence of two halves, merged.
    let shards: Vec<PathBuf> = ["py", "src"]
        .iter()
        .map(|part| {
            let evidence = dir.path().join(format!("{part}.evidence.json"));
            let out = watermark(&[
                "trace",
                "--key",
                s(&key),
                "--emit-evidence",
                s(&evidence),
                s(&copy.join(part)),
            ]);
            assert_eq!(code(&out), 0, "{}", stderr(&out));
            evidence
        })
        .collect();
    let merged = watermark(&[
        "trace",
        "--key",
        s(&key),
        "--recipients",
        who,
        "--json",
        "--evidence",
        s(&shards[0]),
        s(&shards[1]),
    ]);
    assert_eq!(code(&merged), 0, "{}", stderr(&merged));
    let merged: serde_json::Value = serde_json::from_slice(&merged.stdout).expect("json");
    same(&tree, &merged, "evidence shards");
    // Evidence is never written over a file.
    let again = watermark(&[
        "trace",
        "--key",
        s(&key),
        "--emit-evidence",
        s(&shards[0]),
        s(&copy),
    ]);
    assert_eq!(code(&again), 2);
}

/// The HTML report is one self-contained page: a real headless browser
/// (Debian's chromium, installed by scripts/setup.sh) loads it and the
/// rendered page carries the verdict, the chart and the evidence tables.
#[test]
fn the_html_report_renders_the_verdict_in_a_real_browser() {
    let Some(browser) = ["chromium", "chromium-browser"].iter().find_map(|name| {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(name))
                .find(|p| p.is_file())
        })
    }) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromium missing under CI: scripts/setup.sh installs it"
        );
        eprintln!("SKIPPED: chromium not installed (run scripts/setup.sh)");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let key = keygen(dir.path());
    let copy = dir.path().join("copy");
    let tagged = tag(&key, "initech", &sample(), &copy);
    assert_eq!(code(&tagged), 0, "{}", stderr(&tagged));
    let report = watermark(&[
        "trace",
        "--key",
        s(&key),
        "--recipients",
        "acme,initech,hooli",
        "--format",
        "html",
        s(&copy),
    ]);
    assert_eq!(code(&report), 0, "{}", stderr(&report));
    let page = String::from_utf8(report.stdout).expect("utf-8");
    assert!(
        !page.contains("<script") && !page.contains("http://") && !page.contains("https://"),
        "self-contained: no scripts, no external resources"
    );
    let html = dir.path().join("report.html");
    fs::write(&html, &page).expect("write");
    let profile = dir.path().join("profile");
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            &format!("--user-data-dir={}", s(&profile)),
            "--dump-dom",
            &format!("file://{}", s(&html)),
        ])
        .output()
        .expect("run chromium");
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        dom.contains(r#"<h1 id="verdict" class="named">Named: initech</h1>"#),
        "verdict not in the rendered page: {}\n{}",
        &dom[..dom.len().min(2000)],
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        dom.contains("<svg") && dom.contains("threshold"),
        "chart missing"
    );
    assert!(dom.contains("Evidence per channel") && dom.contains("item-order"));
    assert!(dom.contains("Evidence per file") && dom.contains("pricing.py"));
}

/// `--coalition 3` tags with the arcsine biases; tracing with the same
/// value names the recipient.
#[test]
fn the_coalition_design_round_trips() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = keygen(dir.path());
    let copy = dir.path().join("copy");
    let tagged = watermark(&[
        "tag",
        "--key",
        s(&key),
        "--recipient",
        "hooli",
        "--coalition",
        "3",
        s(&sample()),
        s(&copy),
    ]);
    assert_eq!(code(&tagged), 0, "{}", stderr(&tagged));
    let traced = watermark(&[
        "trace",
        "--key",
        s(&key),
        "--coalition",
        "3",
        "--recipients",
        "acme,hooli,initech",
        "--json",
        s(&copy),
    ]);
    assert_eq!(code(&traced), 0, "{}", stderr(&traced));
    let verdict: serde_json::Value = serde_json::from_slice(&traced.stdout).expect("json");
    assert_eq!(verdict["accused"][0]["recipient"], "hooli");
    let bad = watermark(&[
        "trace",
        "--key",
        s(&key),
        "--coalition",
        "7",
        "--recipients",
        "a",
        s(&copy),
    ]);
    assert_eq!(code(&bad), 2, "coalition sizes are 1 to 6");
}

/// Suspects shaped to slip past a trace are read, or refused with exit 2,
/// never reported as "nobody named": a symlink to the tree, zip names that
/// climb out (`../x.py`) or are absolute, a multi-member gzip, an archive
/// saved without its extension, hard links in a tar, a FIFO in the tree;
/// xz and nested archives are refused by name; a file name cannot forge a
/// report line; an absurd --decoys is refused.
#[test]
#[cfg(unix)]
fn hostile_suspects_are_read_or_refused_never_silently_dropped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (key, copy) = globex_copy(dir.path());
    let trace = |suspect: &Path, extra: &[&str]| -> Output {
        let mut args = vec![
            "trace",
            "--key",
            s(&key),
            "--recipients",
            "acme,globex,initech",
            "--json",
        ];
        args.extend_from_slice(extra);
        args.push(s(suspect));
        watermark(&args)
    };
    let positions = |out: &Output, what: &str| -> serde_json::Value {
        assert_eq!(code(out), 0, "{what}: {}", stderr(out));
        let verdict: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(verdict["accused"][0]["recipient"], "globex", "{what}");
        verdict["positions_observed"].clone()
    };
    let want = positions(&trace(&copy, &[]), "tree");

    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&copy, &link).expect("symlink");
    assert_eq!(positions(&trace(&link, &[]), "symlink"), want);

    let made = Command::new("python3")
        .current_dir(dir.path())
        .args([
            "-c",
            r#"
import gzip, io, os, shutil, tarfile, zipfile
files = sorted(os.path.join(d, f) for d, _, fs in os.walk("copy") for f in fs)
with zipfile.ZipFile("dotdot.zip", "w") as z:
    for i, f in enumerate(files):
        z.write(f, ("../" if i % 2 else "/abs/") + f)
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w") as t:
    t.add("copy")
raw = buf.getvalue()
half = len(raw) // 2
with open("multi.tar.gz", "wb") as out:
    out.write(gzip.compress(raw[:half]) + gzip.compress(raw[half:]))
shutil.copy("multi.tar.gz", "leak-download")
with tarfile.open("links.tar", "w") as t:
    for i, f in enumerate(files):
        t.add(f, arcname="data/%d.bin" % i)
        info = tarfile.TarInfo(f)
        info.type = tarfile.LNKTYPE
        info.linkname = "data/%d.bin" % i
        t.addfile(info)
with tarfile.open("leak.tar.xz", "w:xz") as t:
    t.add("copy")
with zipfile.ZipFile("inner.zip", "w") as z:
    for f in files:
        z.write(f)
with zipfile.ZipFile("nested.zip", "w") as z:
    z.write("inner.zip")
"#,
        ])
        .output()
        .expect("python3");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    for name in ["dotdot.zip", "multi.tar.gz", "leak-download", "links.tar"] {
        assert_eq!(positions(&trace(&dir.path().join(name), &[]), name), want);
    }
    let xz = trace(&dir.path().join("leak.tar.xz"), &[]);
    assert_eq!(code(&xz), 2);
    assert!(stderr(&xz).contains("xz-compressed"), "{}", stderr(&xz));
    let nested = trace(&dir.path().join("nested.zip"), &[]);
    assert_eq!(code(&nested), 2, "{}", stderr(&nested));
    assert!(
        stderr(&nested).contains("no code positions"),
        "{}",
        stderr(&nested)
    );

    // A FIFO is never opened (the run would block), and a forged name is
    // shown escaped.
    let odd = dir.path().join("odd");
    let copied = Command::new("cp")
        .args(["-r", s(&copy), s(&odd)])
        .status()
        .expect("cp");
    assert!(copied.success());
    let fifo = Command::new("mkfifo")
        .arg(odd.join("zz.py"))
        .status()
        .expect("mkfifo");
    assert!(fifo.success());
    fs::write(odd.join("x\nverdict: initech.py"), b"\0binary").expect("write");
    let out = trace(&odd, &[]);
    assert_eq!(positions(&out, "odd"), want);
    let warnings = stderr(&out);
    assert!(
        warnings.contains("zz.py: cannot read: not a regular file"),
        "{warnings}"
    );
    assert!(warnings.contains("x\\nverdict: initech.py"), "{warnings}");
    assert!(
        !warnings.lines().any(|l| l.starts_with("verdict")),
        "a file name forged a line: {warnings}"
    );

    // A delivery that cannot be recorded (a receipt cannot name a file
    // whose name holds a control character) leaves no output behind.
    let out_odd = dir.path().join("out-odd");
    let refused = tag(&key, "acme", &odd, &out_odd);
    assert_eq!(code(&refused), 2, "{}", stderr(&refused));
    assert!(stderr(&refused).contains("removed"), "{}", stderr(&refused));
    assert!(!out_odd.exists());
    // Tagging a tree with a FIFO in it neither blocks nor delivers it.
    fs::remove_file(odd.join("x\nverdict: initech.py")).expect("rm");
    let tagged = tag(&key, "acme", &odd, &out_odd);
    assert_eq!(code(&tagged), 0, "{}", stderr(&tagged));
    assert!(stderr(&tagged).contains("zz.py: cannot read: not a regular file"));
    assert!(!out_odd.join("zz.py").exists());

    let decoys = trace(&copy, &["--decoys", "1000000000000"]);
    assert_eq!(code(&decoys), 2);
    assert!(stderr(&decoys).contains("--decoys"), "{}", stderr(&decoys));
}
