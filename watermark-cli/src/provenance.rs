//! The overt layer in the CLI: receipts and the ledger of a tag run,
//! `verify` and `ledger verify` (public keys only).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use watermark_core::provenance::{
    append, now_rfc3339, sha256_hex, verify_ledger, verify_receipt, write_receipt, DeliveryRecord,
    Receipt, Subject, SubjectStatus,
};
use watermark_core::signed::SignatureStatus;
use watermark_core::{verify_tree, OwnerKey, PublicKey, Recipient, TagReport, WalkOptions};

use crate::output::Bar;

/// A fresh delivery id: the time and 32 random bits
/// (`d-20261127T031500Z-9f3a01c2`).
pub(crate) fn new_delivery_id() -> String {
    let time: String = now_rfc3339()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    format!("d-{time}-{:08x}", rand::random::<u32>())
}

/// `OUT.receipt.json` beside `OUT`.
pub(crate) fn default_receipt_path(out: &Path) -> Result<PathBuf> {
    let Some(name) = out.file_name() else {
        bail!(
            "{}: cannot name a receipt after this output path; give --receipt",
            out.display()
        );
    };
    let mut file = name.to_os_string();
    file.push(".receipt.json");
    Ok(out.with_file_name(file))
}

/// `KEYSTEM.ledger.jsonl` beside the key.
pub(crate) fn default_ledger_path(key: &Path) -> PathBuf {
    let stem = key
        .file_stem()
        .map_or_else(|| "owner".into(), |s| s.to_string_lossy().into_owned());
    key.with_file_name(format!("{stem}.ledger.jsonl"))
}

/// The receipt must be new and outside the delivered tree (and the source).
pub(crate) fn check_receipt_path(receipt: &Path, src: &Path, out: &Path) -> Result<()> {
    if receipt.exists() {
        bail!(
            "{}: receipt already exists; refusing to overwrite it (give --receipt)",
            receipt.display()
        );
    }
    outside_trees(receipt, "receipt", src, out)
}

/// `path` (the file `option` names) must be outside the source tree (never
/// written to) and the delivered one (which the recipient gets).
fn outside_trees(path: &Path, option: &str, src: &Path, out: &Path) -> Result<()> {
    let abs = |p: &Path| std::path::absolute(p).with_context(|| format!("{}", p.display()));
    let path_abs = abs(path)?;
    for (tree, what) in [(out, "delivered tree"), (src, "source tree")] {
        if path_abs.starts_with(abs(tree)?) {
            bail!(
                "{}: the {option} would be inside the {what} {}; give --{option} elsewhere",
                path.display(),
                tree.display()
            );
        }
    }
    Ok(())
}

/// The ledger must be outside both trees, and an existing one must verify
/// before a delivery is added to it.
pub(crate) fn check_ledger(ledger: &Path, key: &OwnerKey, src: &Path, out: &Path) -> Result<()> {
    outside_trees(ledger, "ledger", src, out)?;
    if !ledger.exists() {
        return Ok(());
    }
    let report = verify_ledger(ledger, &[key.public_key()])?;
    if let Some(fault) = report.fault {
        bail!("the ledger does not verify, refusing to append to it: {fault}");
    }
    Ok(())
}

/// Sign the receipt of a finished tag run, write it, and append the
/// delivery to the ledger. Returns the receipt's SHA-256.
pub(crate) fn write_receipt_and_ledger(
    key: &OwnerKey,
    recipient: &Recipient,
    delivery_id: &str,
    report: &TagReport,
    receipt_path: &Path,
    ledger_path: &Path,
) -> Result<String> {
    let mut receipt = Receipt::new(
        recipient,
        delivery_id,
        &now_rfc3339(),
        report.channel_sites.clone(),
    )?;
    for file in &report.delivered {
        receipt.add_subject(Subject::with_sha256(&file.path, &file.sha256)?)?;
    }
    let envelope = receipt.sign(key);
    let bytes = envelope.to_bytes();
    write_receipt(receipt_path, &envelope)?;
    let recorded = verify_receipt(&bytes, &[key.public_key()])
        .map_err(anyhow::Error::from)
        .and_then(|verified| {
            append(
                ledger_path,
                &DeliveryRecord::for_receipt(&verified, &bytes),
                key,
            )
            .map_err(anyhow::Error::from)
        });
    if let Err(err) = recorded {
        // No ledger entry: the receipt this run just wrote goes too.
        let _ = std::fs::remove_file(receipt_path);
        return Err(err);
    }
    Ok(sha256_hex(&bytes))
}

fn load_keys(paths: &[PathBuf]) -> Result<Vec<PublicKey>> {
    paths
        .iter()
        .map(|p| PublicKey::load(p).map_err(anyhow::Error::from))
        .collect()
}

/// What a path given to `verify` holds.
enum Kind {
    Receipt(Vec<u8>),
    Ledger,
    Source,
}

fn kind_of(path: &Path) -> Result<Kind> {
    if !path.is_file() {
        return Ok(Kind::Source);
    }
    let name = path.to_string_lossy();
    if name.ends_with(".jsonl") {
        return Ok(Kind::Ledger);
    }
    if name.ends_with(".json") {
        let bytes = std::fs::read(path).with_context(|| format!("{}", path.display()))?;
        return Ok(Kind::Receipt(bytes));
    }
    Ok(Kind::Source)
}

pub(crate) fn verify(
    pubkeys: &[PathBuf],
    against: Option<&Path>,
    json: bool,
    walk: WalkOptions,
    path: &Path,
) -> Result<ExitCode> {
    let keys = load_keys(pubkeys)?;
    match kind_of(path)? {
        Kind::Ledger => {
            if against.is_some() {
                bail!("--against applies to a receipt, not a ledger");
            }
            ledger_report(&keys, json, path)
        }
        Kind::Receipt(bytes) => receipt_report(&keys, &bytes, against, json, path),
        Kind::Source => {
            if against.is_some() {
                bail!("--against applies to a receipt; give the receipt as PATH");
            }
            source_report(&keys, json, walk, path)
        }
    }
}

fn receipt_report(
    keys: &[PublicKey],
    bytes: &[u8],
    against: Option<&Path>,
    json: bool,
    path: &Path,
) -> Result<ExitCode> {
    let mut stdout = std::io::stdout().lock();
    let verified = match verify_receipt(bytes, keys) {
        Ok(verified) => verified,
        Err(err) => {
            if json {
                let value = serde_json::json!({
                    "kind": "receipt", "ok": false, "valid": false, "error": err.to_string(),
                });
                serde_json::to_writer_pretty(&mut stdout, &value)?;
                writeln!(stdout)?;
            } else {
                writeln!(stdout, "{}: INVALID receipt: {err}", path.display())?;
            }
            return Ok(ExitCode::from(1));
        }
    };
    let checks = match against {
        Some(tree) => verified.check_tree(tree)?,
        None => Vec::new(),
    };
    let bad = checks
        .iter()
        .filter(|(_, s)| *s != SubjectStatus::Matches)
        .count();
    if json {
        let files: Vec<_> = checks
            .iter()
            .map(
                |(name, status)| serde_json::json!({"path": name, "status": format!("{status:?}")}),
            )
            .collect();
        let value = serde_json::json!({
            "kind": "receipt",
            "ok": bad == 0,
            "valid": true,
            "recipient": verified.recipient().as_str(),
            "delivery_id": verified.delivery_id(),
            "time": verified.time(),
            "key_id": verified.key_id(),
            "tool_version": verified.tool_version(),
            "files": verified.subjects().len(),
            "sites_per_channel": verified.sites_per_channel(),
            "checked": files,
        });
        serde_json::to_writer_pretty(&mut stdout, &value)?;
        writeln!(stdout)?;
    } else {
        writeln!(
            stdout,
            "{}: valid receipt: delivery {} to {} at {}, {} files, key {}",
            path.display(),
            verified.delivery_id(),
            verified.recipient(),
            verified.time(),
            verified.subjects().len(),
            verified.key_id()
        )?;
        for (name, status) in &checks {
            if *status != SubjectStatus::Matches {
                writeln!(stdout, "  {name}: {status:?}")?;
            }
        }
        if let Some(tree) = against {
            writeln!(
                stdout,
                "{}: {} of {} files as delivered",
                tree.display(),
                checks.len() - bad,
                checks.len()
            )?;
        }
    }
    Ok(if bad == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn source_report(
    keys: &[PublicKey],
    json: bool,
    walk: WalkOptions,
    path: &Path,
) -> Result<ExitCode> {
    let bar = Bar::new("verifying");
    let files = verify_tree(path, keys, walk, &bar)?;
    bar.finish();
    let (mut valid, mut changed, mut invalid, mut unknown, mut unsigned) = (0, 0, 0, 0, 0);
    for file in &files {
        if file.signatures.is_empty() {
            unsigned += 1;
        }
        for found in &file.signatures {
            match found.status {
                SignatureStatus::Valid => valid += 1,
                SignatureStatus::CodeChanged { .. } => changed += 1,
                SignatureStatus::Invalid { .. } => invalid += 1,
                SignatureStatus::UnknownKey => unknown += 1,
            }
        }
    }
    let mut stdout = std::io::stdout().lock();
    if json {
        let found = valid + changed + invalid + unknown;
        let value = serde_json::json!({
            "kind": "source",
            "ok": found > 0 && valid == found,
            "files": files,
            "valid": valid,
            "code_changed": changed,
            "invalid": invalid,
            "unknown_key": unknown,
            "unsigned": unsigned,
        });
        serde_json::to_writer_pretty(&mut stdout, &value)?;
        writeln!(stdout)?;
    } else {
        for file in &files {
            for found in &file.signatures {
                let who = found.fields.as_ref().map_or_else(String::new, |f| {
                    format!(
                        " (recipient {}, delivery {}, key {})",
                        f.recipient, f.delivery_id, f.key_id
                    )
                });
                let verdict = match &found.status {
                    SignatureStatus::Valid => "valid".to_owned(),
                    SignatureStatus::CodeChanged { detail } => {
                        format!("CODE CHANGED since delivery: {detail}")
                    }
                    SignatureStatus::Invalid { detail } => format!("INVALID: {detail}"),
                    SignatureStatus::UnknownKey => "signed by a key not given".to_owned(),
                };
                writeln!(
                    stdout,
                    "{}:{}: {}",
                    crate::output::shown(&file.path),
                    found.line,
                    crate::output::clean(&format!("{verdict}{who}"))
                )?;
                if let Some(fields) = &found.fields {
                    if !file.at_signed_path {
                        writeln!(
                            stdout,
                            "{}: delivered as {}",
                            crate::output::shown(&file.path),
                            crate::output::clean(&fields.path)
                        )?;
                    }
                }
            }
        }
        writeln!(
            stdout,
            "{valid} valid, {changed} code changed, {invalid} invalid, {unknown} unknown key; \
             {unsigned} source files without a signed comment"
        )?;
    }
    let found_any = valid + changed + invalid + unknown > 0;
    Ok(
        if found_any && valid == valid + changed + invalid + unknown {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        },
    )
}

pub(crate) fn ledger_verify(pubkeys: &[PathBuf], json: bool, ledger: &Path) -> Result<ExitCode> {
    let keys = load_keys(pubkeys)?;
    ledger_report(&keys, json, ledger)
}

fn ledger_report(keys: &[PublicKey], json: bool, ledger: &Path) -> Result<ExitCode> {
    let report = verify_ledger(ledger, keys)?;
    let mut stdout = std::io::stdout().lock();
    if json {
        let fault = report.fault.as_ref().map(|f| {
            serde_json::json!({
                "path": f.path.to_string_lossy(),
                "line": f.line,
                "problem": f.problem.to_string(),
            })
        });
        let value = serde_json::json!({
            "kind": "ledger",
            "ok": report.fault.is_none(),
            "valid": report.fault.is_none(),
            "entries_verified": report.entries.len(),
            "first_bad": fault,
        });
        serde_json::to_writer_pretty(&mut stdout, &value)?;
        writeln!(stdout)?;
    } else {
        match &report.fault {
            None => writeln!(
                stdout,
                "{}: valid ledger, {} deliveries",
                ledger.display(),
                report.entries.len()
            )?,
            Some(fault) => writeln!(
                stdout,
                "{}: INVALID: first bad entry {fault} ({} entries before it verify)",
                ledger.display(),
                report.entries.len()
            )?,
        }
    }
    Ok(if report.fault.is_none() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
