//! `watermark demo`: the whole job on a bundled sample project.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use watermark_core::signed::SignatureStatus;
use watermark_core::{
    scan_tree, score, tag_tree_signed, verify_tree, CodeParams, NoProgress, OwnerKey, Recipient,
    SignOptions, TraceParams, Verbatim, WalkOptions,
};

use crate::output::print_verdict;

/// `println!` that returns an error (a full disk, a closed pipe) instead
/// of panicking, so the temporary directory is still removed.
macro_rules! say {
    ($($arg:tt)*) => {
        writeln!(std::io::stdout().lock(), $($arg)*)?
    };
}

const RECIPIENTS: [&str; 5] = ["acme-corp", "globex", "initech", "umbrella-ltd", "hooli"];
const LEAKER: &str = "initech";

pub(crate) fn run(keep: Option<&Path>) -> Result<ExitCode> {
    let (dir, temporary) = match keep {
        Some(dir) => {
            if dir.exists() {
                bail!(
                    "{} already exists; choose a new directory for --keep",
                    dir.display()
                );
            }
            (dir.to_owned(), false)
        }
        None => {
            let stamp = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default();
            (
                std::env::temp_dir().join(format!("watermark-demo-{}-{stamp}", std::process::id())),
                true,
            )
        }
    };
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let result = demo_in(&dir);
    if temporary {
        let _ = fs::remove_dir_all(&dir);
        return result;
    }
    say!("\nfiles kept in {}", dir.display());
    result
}

fn demo_in(dir: &Path) -> Result<ExitCode> {
    let original = dir.join("original");
    for (path, contents) in crate::sample::FILES {
        let dest = original.join(path);
        if let Some(parent) = dest.parent() {
            fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        fs::write(&dest, contents).with_context(|| format!("writing {}", dest.display()))?;
    }
    say!(
        "1. sample project: {} files in {}",
        crate::sample::FILES.len(),
        original.display()
    );

    let key_path = dir.join("owner.key");
    let key = OwnerKey::generate();
    key.save(&key_path)?;
    say!(
        "2. owner key {} (key id {})",
        key_path.display(),
        key.key_id()
    );

    let params = CodeParams::default();
    let recipients: Vec<Recipient> = RECIPIENTS
        .iter()
        .map(|id| Recipient::new(id))
        .collect::<Result<_, _>>()?;
    let copies = dir.join("copies");
    fs::create_dir_all(&copies)?;
    let mut leaked = PathBuf::new();
    for recipient in &recipients {
        let out = copies.join(recipient.as_str());
        let signing = SignOptions::new(
            &format!("demo-{recipient}"),
            Some(&format!(
                "Licensed to {recipient} for the demo; do not redistribute."
            )),
            &[],
        )?;
        let report = tag_tree_signed(
            &original,
            &out,
            &key,
            recipient,
            &params,
            WalkOptions::default(),
            Some(&signing),
            &Verbatim::default(),
            &NoProgress,
        )?;
        let (sites, edits) = report
            .files
            .iter()
            .fold((0, 0), |(s, e), f| match f.status {
                watermark_core::FileStatus::Processed { sites, edits, .. } => {
                    (s + sites, e + edits)
                }
                _ => (s, e),
            });
        say!(
            "3. tagged a copy for {recipient:<13} {sites} sites, {edits} edits \
             (blank lines, item order), signed comments"
        );
        if recipient.as_str() == LEAKER {
            leaked = out;
        }
    }

    say!("4. {LEAKER}'s copy leaks: {}", leaked.display());
    say!(
        "5. tracing it blind against all {} recipients:\n",
        recipients.len()
    );
    let (evidence, _) = scan_tree(&leaked, &key, WalkOptions::default(), &NoProgress)?;
    let verdict = score(&evidence, &key, &recipients, &TraceParams::default());
    let mut stdout = std::io::stdout().lock();
    print_verdict(&mut stdout, &verdict, recipients.len())?;

    let (clean, _) = scan_tree(&original, &key, WalkOptions::default(), &NoProgress)?;
    let control = score(&clean, &key, &recipients, &TraceParams::default());
    say!(
        "\ncontrol: the untagged original names {}",
        if control.accused.is_empty() {
            "nobody".to_owned()
        } else {
            format!("{} (BUG)", control.accused.len())
        }
    );
    // The overt layer, checked with the public key alone.
    let files = verify_tree(
        &leaked,
        &[key.public_key()],
        WalkOptions::default(),
        &NoProgress,
    )?;
    let signatures: Vec<_> = files.iter().flat_map(|f| &f.signatures).collect();
    let valid = signatures
        .iter()
        .filter(|s| s.status == SignatureStatus::Valid)
        .count();
    let names: std::collections::BTreeSet<&str> = signatures
        .iter()
        .filter_map(|s| s.fields.as_ref().map(|f| f.recipient.as_str()))
        .collect();
    let names_leaker = names.len() == 1 && names.contains(LEAKER);
    say!(
        "signed comments (checked with the public key only): {valid} of {} valid, naming {}",
        signatures.len(),
        names.into_iter().collect::<Vec<_>>().join(", ")
    );
    let signed_right = valid > 0 && valid == signatures.len() && names_leaker;
    let named_right = verdict.accused.len() == 1 && verdict.accused[0].recipient == LEAKER;
    if !named_right || !control.accused.is_empty() || !signed_right {
        bail!("the demo did not name exactly {LEAKER}");
    }
    Ok(ExitCode::SUCCESS)
}
