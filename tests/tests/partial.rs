//! Partial leaks and sharded evidence on real code: a tenth of a project's
//! files, or one file, traced with the printed bound; evidence from four
//! shards, written out and read back, gives exactly the single-scan verdict.

use std::fs;
use std::path::PathBuf;

use watermark_core::{score, tag_source, CodeParams, Evidence, Lang, TraceParams};
use watermark_tests::{candidates, corpus, sources, test_key};

/// One corpus project's Python files, tagged for one recipient of 100.
fn tagged_project(name: &str) -> (Vec<(PathBuf, Vec<u8>)>, usize) {
    let project = corpus()
        .into_iter()
        .find(|p| p.name.starts_with(name))
        .unwrap_or_else(|| panic!("corpus project {name} missing"));
    let key = test_key(41);
    let all = candidates(100);
    let who = 58;
    let files = sources(&project.dir, "py")
        .into_iter()
        .map(|rel| {
            let bytes = fs::read(project.dir.join(&rel)).expect("read");
            let tagged = tag_source(
                Lang::Python,
                &bytes,
                &key,
                &all[who],
                &CodeParams::default(),
            );
            (rel, tagged.output)
        })
        .collect();
    (files, who)
}

fn scan(files: &[&(PathBuf, Vec<u8>)]) -> Evidence {
    let key = test_key(41);
    let mut evidence = Evidence::new();
    for (_, bytes) in files {
        let _ = evidence.scan_source(Lang::Python, bytes, &key);
    }
    evidence
}

#[test]
fn evidence_merged_from_four_shards_gives_the_single_scan_verdict() {
    let (files, _) = tagged_project("tomlkit");
    let key = test_key(41);
    let all = candidates(100);
    let whole = scan(&files.iter().collect::<Vec<_>>());
    let mut merged = Evidence::new();
    for shard in 0..4 {
        let part: Vec<_> = files.iter().skip(shard).step_by(4).collect();
        let json = scan(&part).to_json(&key);
        let (back, key_id) =
            Evidence::from_json(json.as_bytes(), std::slice::from_ref(&key)).expect("parse");
        assert_eq!(key_id, key.key_id());
        merged.merge(&back);
    }
    assert_eq!(merged, whole, "merged evidence differs from one scan");
    let one = score(&whole, &key, &all, &TraceParams::default());
    let four = score(&merged, &key, &all, &TraceParams::default());
    assert_eq!(
        serde_json::to_string(&one).expect("json"),
        serde_json::to_string(&four).expect("json"),
    );
    println!(
        "4 shards: {} files, {} positions, the same verdict ({:?})",
        whole.files_scanned(),
        whole.positions_observed(),
        one.accused.iter().map(|c| &c.recipient).collect::<Vec<_>>()
    );
    assert_eq!(one.accused.len(), 1);
}

#[test]
fn a_tenth_of_the_files_or_one_file_is_traced_with_the_printed_bound() {
    let all = candidates(100);
    let key = test_key(41);
    for project in ["tomlkit", "boltons", "markdown"] {
        let (files, who) = tagged_project(project);
        let tenth: Vec<_> = files.iter().step_by(10).collect();
        let largest = files
            .iter()
            .max_by_key(|(_, bytes)| bytes.len())
            .expect("files");
        for (what, part) in [("10 % of files", tenth), ("largest file", vec![largest])] {
            let evidence = scan(&part);
            let verdict = score(&evidence, &key, &all, &TraceParams::default());
            let best = &verdict.candidates[0];
            println!(
                "{project} {what} ({} files, {} positions): named {:?}, log10 p {:.1}, bound 1e-9 over 100",
                part.len(),
                verdict.positions_observed,
                verdict.accused.iter().map(|c| &c.recipient).collect::<Vec<_>>(),
                best.log10_p_value
            );
            assert_eq!(verdict.accused.len(), 1, "{project} {what}");
            assert_eq!(verdict.accused[0].recipient, all[who].as_str());
            assert!(best.log10_p_value <= verdict.log10_alpha_per_candidate);
        }
    }
}

/// An evidence file carries a MAC under the owner key: a shard edited
/// after it was written (a count changed, a locator dropped, a field
/// renamed) is refused, and so is one read with a key that was not given.
/// Otherwise a shard could quietly hide a recipient's evidence.
#[test]
fn evidence_files_are_authenticated() {
    let (files, _) = tagged_project("six");
    let key = test_key(41);
    let other = test_key(42);
    let evidence = scan(&files.iter().collect::<Vec<_>>());
    assert!(evidence.positions_observed() > 100);
    let json = evidence.to_json(&key);
    let keys = [other, key];
    let (back, key_id) = Evidence::from_json(json.as_bytes(), &keys).expect("round trip");
    assert_eq!(back, evidence);
    assert_eq!(key_id, keys[1].key_id());

    let lines: Vec<&str> = json.lines().collect();
    let count_changed = json.replacen(",1,0]", ",2,0]", 1);
    let without_a_line = [&lines[..2], &lines[3..]].concat().join("\n");
    for (what, text) in [("a count", count_changed), ("a line", without_a_line)] {
        assert_ne!(text, json, "{what}: the edit did nothing");
        let err = Evidence::from_json(text.as_bytes(), &keys).expect_err(what);
        assert!(err.contains("MAC does not match"), "{what}: {err}");
    }
    let err = Evidence::from_json(json.as_bytes(), &keys[..1]).expect_err("other key");
    assert!(err.contains("which was not given"), "{err}");
    let v1 = json.replace("watermark-evidence/v2", "watermark-evidence/v1");
    let err = Evidence::from_json(v1.as_bytes(), &keys).expect_err("v1");
    assert!(err.contains("carry no MAC"), "{err}");
}
