//! Colluders on real code: three recipients of one corpus project mix
//! their copies; the tracer, among 1,000 candidates, must name at least one
//! of them and nobody else.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use watermark_core::{
    render_source, rendered_value, score, tag_source, BiasDesign, CodeParams, Evidence, Lang,
    Recipient, TraceParams,
};
use watermark_tests::{candidates, corpus, named, sources, test_key};

const PROJECT: &str = "tomlkit";

struct Setup {
    files: Vec<(PathBuf, Vec<u8>)>,
    key: watermark_core::OwnerKey,
    all: Vec<Recipient>,
    colluders: Vec<Recipient>,
}

fn setup() -> Setup {
    let project = corpus()
        .into_iter()
        .find(|p| p.name.starts_with(PROJECT))
        .unwrap_or_else(|| panic!("corpus project {PROJECT} missing"));
    let files: Vec<(PathBuf, Vec<u8>)> = sources(&project.dir, "py")
        .into_iter()
        .map(|rel| {
            let bytes = fs::read(project.dir.join(&rel)).expect("read");
            (rel, bytes)
        })
        .collect();
    let lines: usize = files
        .iter()
        .map(|(_, b)| b.iter().filter(|&&c| c == b'\n').count())
        .sum();
    assert!(lines >= 5000, "{PROJECT} has {lines} lines");
    let all = candidates(1000);
    let colluders = vec![all[17].clone(), all[401].clone(), all[933].clone()];
    Setup {
        files,
        key: test_key(31),
        all,
        colluders,
    }
}

/// Trace a mixed copy among all 1,000 and check the verdict.
fn check(setup: &Setup, attack: &str, copy: &BTreeMap<&Path, Vec<u8>>) {
    check_with(setup, BiasDesign::Half, attack, copy);
}

fn check_with(setup: &Setup, design: BiasDesign, attack: &str, copy: &BTreeMap<&Path, Vec<u8>>) {
    let mut evidence = Evidence::new();
    for (rel, bytes) in copy {
        let lang = Lang::from_path(rel).expect("python");
        let _ = evidence.scan_source(lang, bytes, &setup.key);
    }
    let params = TraceParams {
        code: CodeParams {
            design,
            ..CodeParams::default()
        },
        ..TraceParams::default()
    };
    let verdict = score(&evidence, &setup.key, &setup.all, &params);
    let named = named(&verdict);
    let colluders: Vec<&str> = setup.colluders.iter().map(Recipient::as_str).collect();
    let scores: Vec<String> = verdict
        .candidates
        .iter()
        .take(4)
        .map(|c| format!("{} {:.1}", c.recipient, c.log10_p_value))
        .collect();
    println!(
        "{attack}: {} positions; named {named:?}; top log10 p: {scores:?}",
        verdict.positions_observed
    );
    assert!(!named.is_empty(), "{attack}: nobody named");
    assert!(
        named.iter().all(|n| colluders.contains(n)),
        "{attack}: an innocent named: {named:?}"
    );
}

/// Per-site mixes rendered from the original with `choose` over the three
/// colluders' values.
fn mixed<'s>(
    setup: &'s Setup,
    design: BiasDesign,
    choose: &dyn Fn(&[bool]) -> Option<bool>,
) -> BTreeMap<&'s Path, Vec<u8>> {
    setup
        .files
        .iter()
        .map(|(rel, bytes)| {
            let lang = Lang::from_path(rel).expect("python");
            let want = |locator| {
                let seen: Vec<bool> = setup
                    .colluders
                    .iter()
                    .map(|r| rendered_value(&setup.key, r, design, locator))
                    .collect();
                choose(&seen)
            };
            (
                rel.as_path(),
                render_source(lang, bytes, &setup.key, &want).output,
            )
        })
        .collect()
}

/// How colluders pick a site's value from what their copies show.
type Vote<'a> = &'a dyn Fn(&[bool]) -> Option<bool>;

/// The minority value where the copies differ; where they agree the
/// colluders cannot tell a site is there, so it keeps its value.
fn minority(seen: &[bool]) -> bool {
    let ones = seen.iter().filter(|&&b| b).count();
    if ones == 0 || ones == seen.len() {
        seen[0]
    } else {
        ones * 2 < seen.len()
    }
}

#[test]
fn a_copy_mixed_file_by_file_names_a_colluder() {
    let setup = setup();
    let copy: BTreeMap<&Path, Vec<u8>> = setup
        .files
        .iter()
        .enumerate()
        .map(|(i, (rel, bytes))| {
            // A fixed pseudo-random colluder per file.
            let who = &setup.colluders[(i * 7 + 3) % 5 % 3];
            let lang = Lang::from_path(rel).expect("python");
            let tagged = tag_source(lang, bytes, &setup.key, who, &CodeParams::default());
            (rel.as_path(), tagged.output)
        })
        .collect();
    check(&setup, "file by file", &copy);
}

#[test]
fn a_per_site_majority_names_a_colluder() {
    let setup = setup();
    let copy = mixed(&setup, BiasDesign::Half, &|seen| {
        Some(seen.iter().filter(|&&b| b).count() * 2 > seen.len())
    });
    check(&setup, "per-site majority", &copy);
}

#[test]
fn erasing_every_differing_site_still_names_a_colluder() {
    let setup = setup();
    // Where the copies differ, the colluders put back what the author had
    // (a formatter keeps either value; the original is the natural default).
    let copy = mixed(&setup, BiasDesign::Half, &|seen| {
        let first = seen[0];
        seen.iter().all(|&b| b == first).then_some(first)
    });
    check(&setup, "differing sites erased", &copy);
}

/// The arcsine design (`BiasDesign::Arcsine`) is what resists larger
/// coalitions; with the default design (bias 1/2) a minority vote of three
/// cancels every colluder's expected score. Recorded here so the limit is
/// a number, not a belief: the test asserts only that nobody innocent is
/// named.
#[test]
fn a_minority_vote_under_the_default_design_names_no_innocent() {
    let setup = setup();
    assert_eq!(CodeParams::default().design, BiasDesign::Half);
    let copy = mixed(&setup, BiasDesign::Half, &|seen| Some(minority(seen)));
    let mut evidence = Evidence::new();
    for (rel, bytes) in &copy {
        let _ = evidence.scan_source(Lang::from_path(rel).expect("python"), bytes, &setup.key);
    }
    let verdict = score(&evidence, &setup.key, &setup.all, &TraceParams::default());
    let colluders: Vec<&str> = setup.colluders.iter().map(Recipient::as_str).collect();
    println!(
        "minority vote: named {:?}",
        verdict
            .accused
            .iter()
            .map(|c| &c.recipient)
            .collect::<Vec<_>>()
    );
    assert!(verdict
        .accused
        .iter()
        .all(|c| colluders.contains(&c.recipient.as_str())));
}

/// With the coalition-3 design (`--coalition 3`), the vote that defeats
/// bias 1/2 is traced: every strategy of three names a colluder.
#[test]
fn the_coalition_design_traces_every_vote_of_three() {
    let setup = setup();
    let design = BiasDesign::for_coalition(3);
    let votes: [(&str, Vote<'_>); 5] = [
        ("majority", &|seen| {
            Some(seen.iter().filter(|&&b| b).count() * 2 > seen.len())
        }),
        ("minority", &|seen| Some(minority(seen))),
        ("all 0 where they differ", &|seen| {
            Some(seen.iter().all(|&b| b))
        }),
        ("all 1 where they differ", &|seen| {
            Some(seen.iter().any(|&b| b))
        }),
        ("erase what differs", &|seen| {
            let first = seen[0];
            seen.iter().all(|&b| b == first).then_some(first)
        }),
    ];
    for (attack, vote) in votes {
        let copy = mixed(&setup, design, vote);
        check_with(
            &setup,
            design,
            &format!("coalition design, {attack}"),
            &copy,
        );
    }
}
