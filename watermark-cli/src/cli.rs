//! Command-line definitions and the commands (thin: everything real is in
//! `watermark-core`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use watermark_core::input::scan_input;
use watermark_core::{
    inspect_tree, score, tag_tree_signed, BiasDesign, ChannelId, CodeParams, Evidence, FileReport,
    FileStatus, Lang, OwnerKey, Recipient, SignOptions, SkipReason, TraceParams, Verbatim,
    WalkOptions,
};

use crate::output::{print_verdict, warn_skipped, Bar};

/// Invisible, behaviour-preserving fingerprints in source code, and blind
/// tracing of leaked copies.
///
/// Exit codes: 0 success / somebody named / all valid, 1 trace named nobody
/// or verify found something invalid, changed or nothing signed, 2 error
/// (for trace also: no code positions read, so no verdict), 141 stdout
/// closed early.
#[derive(Debug, Parser)]
#[command(
    name = "watermark",
    version,
    about,
    long_about = None,
    after_help = "Exit codes: 0 success / somebody named / all valid; 1 trace named nobody, or verify \
                  found something invalid, changed or nothing signed; 2 error (for trace also: no \
                  code positions read, so no verdict is possible); 141 stdout closed early."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create an owner key: OUT (PKCS#8 PEM, mode 0600) and OUT with the
    /// extension .pub (public key PEM).
    Keygen {
        /// Where to write the secret key; never overwritten.
        #[arg(long)]
        out: PathBuf,
    },
    /// Tag a source tree (or one file) for one recipient into a new path.
    Tag {
        /// The owner key (PKCS#8 PEM).
        #[arg(long)]
        key: PathBuf,
        /// Who receives this copy.
        #[arg(long)]
        recipient: String,
        /// How far the density of blank lines may move toward one half
        /// (0 = keep the author's count exactly, 1 = ignore it).
        #[arg(long, default_value_t = watermark_core::DEFAULT_DENSITY_SLACK)]
        density_slack: f64,
        /// Design coalition size: 2 or less uses bias 1/2 (most evidence
        /// against one leaker or two colluders); 3 to 6 the Tardos arcsine
        /// biases that resist any vote of that many colluders, at about
        /// half the evidence per position against one. Trace with the same
        /// value.
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..=6))]
        coalition: u8,
        /// Deliver source files whose path in the delivery matches GLOB
        /// unchanged (repeatable): generated code, say, which its generator
        /// would write without the blank lines a tag adds.
        #[arg(long, value_name = "GLOB")]
        verbatim: Vec<String>,
        /// Tag generated files too. By default a file whose header comment
        /// says it is generated (`@generated`, `DO NOT EDIT`, "automatically
        /// generated") is delivered unchanged: a diff against a fresh
        /// generation would show every mark in it.
        #[arg(long)]
        tag_generated: bool,
        #[command(flatten)]
        provenance: TagProvenanceArgs,
        #[command(flatten)]
        walk: WalkArgs,
        /// Print the per-file report as JSON on stdout.
        #[arg(long)]
        json: bool,
        /// The tree or file to tag (never written to).
        src: PathBuf,
        /// Where to write the tagged copy; must not exist (or be an empty
        /// directory).
        out: PathBuf,
    },
    /// Name the recipient a suspect tree (or file) came from.
    Trace {
        /// The owner key (PKCS#8 PEM). Repeat for keys used over time
        /// (rotation): each is tried, with the bound split between them.
        #[arg(long, required = true)]
        key: Vec<PathBuf>,
        /// Candidate recipients, comma-separated.
        #[arg(
            long,
            value_delimiter = ',',
            required_unless_present_any = ["ledger", "emit_evidence"]
        )]
        recipients: Vec<String>,
        /// Take the candidates from this delivery ledger (verified first
        /// with the keys' public halves).
        #[arg(long, conflicts_with = "recipients")]
        ledger: Option<PathBuf>,
        /// Write the observations (keyed locators and counts; no code) to
        /// FILE, to merge with other shards later. Without candidates,
        /// only that.
        #[arg(long, value_name = "FILE")]
        emit_evidence: Option<PathBuf>,
        /// Trace these evidence files (merged) instead of reading a
        /// suspect: the same verdict as one scan of all their sources.
        #[arg(long, num_args = 1.., value_name = "FILE", conflicts_with = "suspect")]
        evidence: Vec<PathBuf>,
        /// Family-wise bound on naming any innocent candidate.
        #[arg(long, default_value_t = 1e-9)]
        epsilon: f64,
        /// The design coalition size the copies were tagged with.
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..=6))]
        coalition: u8,
        /// Key-derived decoy recipients (nobody's) scored for an empirical
        /// p-value beside the analytic one.
        #[arg(long, default_value_t = 1000)]
        decoys: u64,
        /// Report format on stdout: text, json (one object) or html (one
        /// self-contained page).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Same as --format json.
        #[arg(long, conflicts_with = "format")]
        json: bool,
        /// How many top candidates to list in the text output.
        #[arg(long, default_value_t = 5)]
        show: usize,
        /// Only the plain test over all files: no looks at each file alone
        /// or at the files tagging edits (which find a copy's files mixed
        /// into unrelated code, at a small cost in the bound).
        #[arg(long)]
        single_look: bool,
        #[command(flatten)]
        walk: SuspectWalkArgs,
        /// The suspect: a tree, a file, an archive (.zip, .tar, .tar.gz,
        /// .tgz; read in memory) or `-` for a snippet on stdin (language
        /// detected).
        #[arg(required_unless_present = "evidence")]
        suspect: Option<PathBuf>,
    },
    /// Check signed comments, a receipt or a ledger with public keys only.
    ///
    /// PATH is a source tree or file (every signed comment is checked
    /// against the code as it is now), a receipt (`*.receipt.json`) or a
    /// ledger (`*.jsonl`). Exit 0 when everything found is valid, 1 when
    /// something is invalid or changed or nothing signed was found.
    Verify {
        /// An owner's public key (PEM). Repeat for rotated keys.
        #[arg(long, required = true)]
        pubkey: Vec<PathBuf>,
        /// For a receipt: also check this delivered tree against it.
        #[arg(long)]
        against: Option<PathBuf>,
        /// Print JSON on stdout.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        walk: SuspectWalkArgs,
        /// A source tree or file, a receipt or a ledger.
        path: PathBuf,
    },
    /// The delivery ledger.
    Ledger {
        #[command(subcommand)]
        command: LedgerCommand,
    },
    /// Show sites and capacity per file (no key needed).
    Inspect {
        /// Print JSON on stdout.
        #[arg(long)]
        json: bool,
        /// Also list, per file, what the channels leave in place and why
        /// (always included in --json).
        #[arg(long)]
        refusals: bool,
        /// Capacity planning: the number of candidate recipients.
        #[arg(long, default_value_t = 1000)]
        candidates: u64,
        /// Capacity planning: the family-wise false-accusation bound.
        #[arg(long, default_value_t = 1e-9)]
        epsilon: f64,
        #[command(flatten)]
        walk: WalkArgs,
        /// The tree or file to inspect.
        path: PathBuf,
    },
    /// Tag a bundled sample project for several recipients, leak one copy,
    /// trace it and print the verdict.
    Demo {
        /// Keep the demo's files in this new directory instead of a
        /// temporary one.
        #[arg(long)]
        keep: Option<PathBuf>,
    },
}

/// How `trace` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Text,
    Json,
    Html,
}

#[derive(Debug, Subcommand)]
enum LedgerCommand {
    /// Verify every entry's signature and chain and the head; report the
    /// first bad entry. Exit 0 valid, 1 not.
    Verify {
        /// An owner's public key (PEM). Repeat for rotated keys.
        #[arg(long, required = true)]
        pubkey: Vec<PathBuf>,
        /// Print JSON on stdout.
        #[arg(long)]
        json: bool,
        /// The ledger (JSON Lines).
        ledger: PathBuf,
    },
}

/// Receipts, the ledger and signed comments of a tag run.
#[derive(Debug, Args)]
pub(crate) struct TagProvenanceArgs {
    /// Append the delivery to this ledger [default: KEYSTEM.ledger.jsonl
    /// beside the key].
    #[arg(long)]
    ledger: Option<PathBuf>,
    /// Where to write the signed receipt [default: OUT.receipt.json beside
    /// OUT]; never inside the delivered tree, never overwritten.
    #[arg(long)]
    receipt: Option<PathBuf>,
    /// The delivery id [default: a new one from the time and 32 random
    /// bits].
    #[arg(long)]
    delivery_id: Option<String>,
    /// Put a signed provenance comment in every source file.
    #[arg(long)]
    signed_comments: bool,
    /// Put one only in files whose path in the delivery matches GLOB
    /// (repeatable; implies comments).
    #[arg(long, value_name = "GLOB")]
    signed_comments_glob: Vec<String>,
    /// The human line above each signed comment (e.g. "Licensed to ACME
    /// under agreement #123").
    #[arg(long, value_name = "TEXT")]
    notice: Option<String>,
}

#[derive(Debug, Args)]
struct WalkArgs {
    /// Do not respect .gitignore / .ignore files.
    #[arg(long)]
    no_ignore: bool,
}

/// How a tree someone else shaped is walked: every file is read, because
/// whoever leaked it controls its `.gitignore`.
#[derive(Debug, Args)]
struct SuspectWalkArgs {
    /// Respect .gitignore / .ignore files in the suspect tree (by default
    /// they are not: a leaker could write one that hides every file).
    #[arg(long)]
    respect_ignore: bool,
}

impl SuspectWalkArgs {
    fn options(&self) -> WalkOptions {
        WalkOptions {
            respect_ignore: self.respect_ignore,
        }
    }
}

impl WalkArgs {
    fn options(&self) -> WalkOptions {
        WalkOptions {
            respect_ignore: !self.no_ignore,
        }
    }
}

pub(crate) fn run() -> Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::Keygen { out } => keygen(&out),
        Command::Tag {
            key,
            recipient,
            density_slack,
            coalition,
            verbatim,
            tag_generated,
            provenance,
            walk,
            json,
            src,
            out,
        } => {
            if !(0.0..=1.0).contains(&density_slack) {
                bail!("--density-slack must be between 0 and 1, got {density_slack}");
            }
            let params = CodeParams {
                density_slack,
                design: BiasDesign::for_coalition(coalition),
            };
            let run = TagRun {
                key: &key,
                recipient: &recipient,
                params: &params,
                verbatim: &verbatim,
                tag_generated,
                provenance: &provenance,
                walk: walk.options(),
                json,
            };
            tag(&run, &src, &out)
        }
        Command::Trace {
            key,
            recipients,
            ledger,
            emit_evidence,
            evidence,
            epsilon,
            coalition,
            decoys,
            format,
            json,
            show,
            single_look,
            walk,
            suspect,
        } => trace(&TraceRun {
            keys: &key,
            recipients: &recipients,
            ledger: ledger.as_deref(),
            emit_evidence: emit_evidence.as_deref(),
            evidence: &evidence,
            epsilon,
            design: BiasDesign::for_coalition(coalition),
            decoys,
            format: if json { Format::Json } else { format },
            show,
            single_look,
            walk: walk.options(),
            suspect: suspect.as_deref(),
        }),
        Command::Verify {
            pubkey,
            against,
            json,
            walk,
            path,
        } => crate::provenance::verify(&pubkey, against.as_deref(), json, walk.options(), &path),
        Command::Ledger {
            command:
                LedgerCommand::Verify {
                    pubkey,
                    json,
                    ledger,
                },
        } => crate::provenance::ledger_verify(&pubkey, json, &ledger),
        Command::Inspect {
            json,
            refusals,
            candidates,
            epsilon,
            walk,
            path,
        } => inspect(json, refusals, (candidates, epsilon), walk.options(), &path),
        Command::Demo { keep } => crate::demo::run(keep.as_deref()),
    }
}

fn keygen(out: &Path) -> Result<ExitCode> {
    let key = OwnerKey::generate();
    let public = key.save(out)?;
    eprintln!(
        "wrote secret key {} (mode 0600) and public key {}; key id {}",
        out.display(),
        public.display(),
        key.key_id()
    );
    Ok(ExitCode::SUCCESS)
}

/// Load an owner key, warning when others than its owner may read it.
fn load_secret_key(path: &Path) -> Result<OwnerKey> {
    let key = OwnerKey::load(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            let mode = meta.permissions().mode();
            if mode & 0o077 != 0 {
                eprintln!(
                    "watermark: warning: {}: the secret key is readable by others (mode {:o}); \
                     chmod 600 it",
                    crate::output::shown(path),
                    mode & 0o777
                );
            }
        }
    }
    Ok(key)
}

/// One `tag` invocation's settings.
struct TagRun<'a> {
    key: &'a Path,
    recipient: &'a str,
    params: &'a CodeParams,
    verbatim: &'a [String],
    tag_generated: bool,
    provenance: &'a TagProvenanceArgs,
    walk: WalkOptions,
    json: bool,
}

fn tag(run: &TagRun<'_>, src: &Path, out: &Path) -> Result<ExitCode> {
    let key = load_secret_key(run.key)?;
    let recipient = Recipient::new(run.recipient)?;
    let prov = run.provenance;
    let delivery_id = prov
        .delivery_id
        .clone()
        .unwrap_or_else(crate::provenance::new_delivery_id);
    let signing = if prov.signed_comments || !prov.signed_comments_glob.is_empty() {
        Some(SignOptions::new(
            &delivery_id,
            prov.notice.as_deref(),
            &prov.signed_comments_glob,
        )?)
    } else {
        if prov.notice.is_some() {
            bail!("--notice needs --signed-comments or --signed-comments-glob");
        }
        None
    };
    // Everything that could refuse is checked before any work is done.
    watermark_core::check_tag_paths(src, out)?;
    let receipt_path = match &prov.receipt {
        Some(path) => path.clone(),
        None => crate::provenance::default_receipt_path(out)?,
    };
    crate::provenance::check_receipt_path(&receipt_path, src, out)?;
    let ledger_path = match &prov.ledger {
        Some(path) => path.clone(),
        None => crate::provenance::default_ledger_path(run.key),
    };
    crate::provenance::check_ledger(&ledger_path, &key, src, out)?;

    let verbatim = Verbatim::new(run.verbatim)
        .map_err(|e| anyhow::anyhow!("--verbatim: {e}"))?
        .tag_generated(run.tag_generated);
    let bar = Bar::new("tagging");
    let report = tag_tree_signed(
        src,
        out,
        &key,
        &recipient,
        run.params,
        run.walk,
        signing.as_ref(),
        &verbatim,
        &bar,
    )?;
    bar.finish();
    warn_skipped(&report.files);
    let any_site = report
        .files
        .iter()
        .any(|f| matches!(f.status, FileStatus::Processed { sites, .. } if sites > 0));
    if !any_site {
        // Not an error (a tree of data files is delivered as asked), but
        // nobody should believe this copy is traceable.
        eprintln!(
            "watermark: warning: nothing in this delivery carries a mark (no Rust or Python \
             code with a site to render); a trace of it will name nobody"
        );
    }
    let receipt = match crate::provenance::write_receipt_and_ledger(
        &key,
        &recipient,
        &delivery_id,
        &report,
        &receipt_path,
        &ledger_path,
    ) {
        Ok(receipt) => receipt,
        Err(err) => {
            // A delivery without its receipt and ledger entry would be one
            // no trace considers: remove the output this run just made.
            let removed = if out.is_dir() {
                std::fs::remove_dir_all(out)
            } else {
                std::fs::remove_file(out)
            };
            let what = match removed {
                Ok(()) => format!("{} removed", out.display()),
                Err(e) => format!("could not remove {}: {e}", out.display()),
            };
            return Err(err.context(format!("recording the delivery failed ({what})")));
        }
    };
    let mut stdout = std::io::stdout().lock();
    if run.json {
        let value = serde_json::json!({
            "files": report.files,
            "delivered": report.delivered,
            "channel_sites": report.channel_sites,
            "left_out": report.left_out,
            "delivery_id": delivery_id,
            "receipt": receipt_path.to_string_lossy(),
            "receipt_sha256": receipt,
            "ledger": ledger_path.to_string_lossy(),
        });
        serde_json::to_writer_pretty(&mut stdout, &value)?;
        writeln!(stdout)?;
    } else {
        let (mut tagged, mut sites, mut edits, mut skipped, mut copied) = (0, 0, 0, 0, 0);
        let mut around_errors = 0;
        let mut generated = Vec::new();
        for file in &report.files {
            match &file.status {
                FileStatus::Processed {
                    sites: s,
                    edits: e,
                    syntax_error,
                } => {
                    tagged += 1;
                    sites += s;
                    edits += e;
                    around_errors += usize::from(syntax_error.is_some());
                }
                FileStatus::Skipped(reason) => {
                    skipped += 1;
                    if matches!(reason, SkipReason::Generated { .. }) {
                        generated.push(&file.path);
                    }
                }
                FileStatus::Copied | FileStatus::Symlink => copied += 1,
            }
        }
        let signed = report.delivered.iter().filter(|d| d.signed).count();
        let around_errors = if around_errors > 0 {
            format!("; {around_errors} of these files around syntax errors")
        } else {
            String::new()
        };
        writeln!(
            stdout,
            "tagged {tagged} source files for {recipient} ({sites} sites, {edits} edits){around_errors}; \
             {skipped} source files left unchanged; {copied} other files copied -> {}",
            out.display()
        )?;
        if signing.is_some() {
            writeln!(stdout, "signed comments in {signed} files")?;
        }
        if let Some(first) = generated.first() {
            writeln!(
                stdout,
                "{} of these are marked as generated and were delivered unchanged \
                 (the first: {}); --tag-generated tags them",
                generated.len(),
                crate::output::shown(first)
            )?;
        }
        if let Some(first) = report.left_out.first() {
            writeln!(
                stdout,
                "{} files kept out by .gitignore / .ignore rules were not delivered \
                 (the first: {}); --no-ignore delivers them",
                report.left_out.len(),
                first.display()
            )?;
        }
        writeln!(
            stdout,
            "delivery {delivery_id}: receipt {}, ledger {}",
            receipt_path.display(),
            ledger_path.display()
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Write a new file; never over an existing one.
fn write_new_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("creating {} (it must not exist)", path.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {}", path.display()))
}

fn parse_recipients(ids: &[String]) -> Result<Vec<Recipient>> {
    let recipients = ids
        .iter()
        .filter(|id| !id.trim().is_empty())
        .map(|id| Recipient::new(id.trim()))
        .collect::<Result<Vec<_>, _>>()?;
    if recipients.is_empty() {
        bail!("no candidate recipients given");
    }
    Ok(recipients)
}

/// One `trace` invocation's settings.
struct TraceRun<'a> {
    keys: &'a [PathBuf],
    recipients: &'a [String],
    ledger: Option<&'a Path>,
    emit_evidence: Option<&'a Path>,
    evidence: &'a [PathBuf],
    epsilon: f64,
    design: BiasDesign,
    decoys: u64,
    format: Format,
    show: usize,
    single_look: bool,
    walk: WalkOptions,
    suspect: Option<&'a Path>,
}

/// The evidence for `key`: merged from the evidence files read with it,
/// or read from the suspect.
fn evidence_for(
    run: &TraceRun<'_>,
    loaded: &[(Evidence, String)],
    key: &OwnerKey,
    first: bool,
) -> Result<(Evidence, Vec<FileReport>)> {
    if run.evidence.is_empty() {
        let suspect = run.suspect.context("no suspect given")?;
        let bar = Bar::new("tracing");
        let (evidence, files) = scan_input(suspect, key, run.walk, &bar)?;
        bar.finish();
        if first {
            warn_skipped(&files);
        }
        return Ok((evidence, files));
    }
    let mut merged = Evidence::new();
    for (evidence, key_id) in loaded {
        if *key_id == key.key_id() {
            merged.merge(evidence);
        }
    }
    Ok((merged, Vec::new()))
}

fn trace(run: &TraceRun<'_>) -> Result<ExitCode> {
    let epsilon = run.epsilon;
    if !(epsilon > 0.0 && epsilon < 1.0) {
        bail!("--epsilon must be between 0 and 1, got {epsilon}");
    }
    if run.decoys > MAX_DECOYS {
        bail!(
            "--decoys {} is more than {MAX_DECOYS} (each costs one candidate's scoring \
             and 8 bytes)",
            run.decoys
        );
    }
    let keys = run
        .keys
        .iter()
        .map(|k| load_secret_key(k))
        .collect::<Result<Vec<_>>>()?;
    // Evidence files are read once, each checked to belong to a given key.
    let mut loaded = Vec::with_capacity(run.evidence.len());
    for path in run.evidence {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let (evidence, key_id) = Evidence::from_json(&bytes, &keys)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        loaded.push((evidence, key_id));
    }
    if let Some(out) = run.emit_evidence {
        if keys.len() != 1 {
            bail!("--emit-evidence takes exactly one --key");
        }
        let (evidence, _) = evidence_for(run, &loaded, &keys[0], true)?;
        write_new_file(out, evidence.to_json(&keys[0]).as_bytes())?;
        eprintln!(
            "watermark: wrote evidence of {} files ({} positions) to {}",
            evidence.files_scanned(),
            evidence.positions_observed(),
            out.display()
        );
        if run.recipients.is_empty() && run.ledger.is_none() {
            return Ok(ExitCode::SUCCESS);
        }
    }
    let candidates = match run.ledger {
        Some(ledger) => {
            let public: Vec<_> = keys.iter().map(OwnerKey::public_key).collect();
            let found = watermark_core::provenance::ledger_recipients(ledger, &public)?;
            if found.is_empty() {
                bail!("{}: the ledger records no deliveries", ledger.display());
            }
            found
        }
        None => parse_recipients(run.recipients)?,
    };
    // Several keys: each is a separate test, so the bound is split.
    let params = TraceParams {
        epsilon: epsilon / keys.len() as f64,
        decoys: run.decoys,
        code: CodeParams {
            design: run.design,
            ..CodeParams::default()
        },
        per_file_looks: !run.single_look,
    };
    let mut verdicts = Vec::with_capacity(keys.len());
    let mut files = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let (evidence, read) = evidence_for(run, &loaded, key, i == 0)?;
        if i == 0 {
            files = read;
        }
        verdicts.push((key.key_id(), score(&evidence, key, &candidates, &params)));
    }
    // The key whose strongest candidate stands out most speaks.
    let best = verdicts
        .iter()
        .enumerate()
        .min_by(|a, b| {
            let p =
                |v: &watermark_core::Verdict| v.candidates.first().map_or(0.0, |c| c.log10_p_value);
            p(&a.1 .1).total_cmp(&p(&b.1 .1))
        })
        .map_or(0, |(i, _)| i);
    let (key_id, mut verdict) = verdicts.swap_remove(best);
    // Each key was tested at epsilon / keys, so the chance that any key
    // names any innocent is at most the epsilon asked for: that is the
    // guarantee to state (the per-candidate bound already has the split).
    verdict.epsilon = epsilon;
    if keys.len() > 1 {
        eprintln!(
            "watermark: {} keys tried, each at epsilon {:.3e}; key {key_id} scores highest",
            keys.len(),
            params.epsilon
        );
    }
    let mut stdout = std::io::stdout().lock();
    match run.format {
        Format::Json => {
            let mut value = serde_json::to_value(&verdict)?;
            if let Some(fields) = value.as_object_mut() {
                // The outcome in one word, which the exit code also gives.
                let outcome = if verdict.positions_observed == 0 {
                    "none possible"
                } else if verdict.accused.is_empty() {
                    "nobody named"
                } else {
                    "named"
                };
                fields.insert("verdict".to_owned(), outcome.into());
                fields.insert("key_id".to_owned(), key_id.clone().into());
                fields.insert("tool_version".to_owned(), env!("CARGO_PKG_VERSION").into());
            }
            serde_json::to_writer_pretty(&mut stdout, &value).context("writing JSON")?;
            writeln!(stdout)?;
        }
        Format::Text => print_verdict(&mut stdout, &verdict, run.show)?,
        Format::Html => {
            let suspect = run.suspect.map_or_else(
                || format!("{} evidence files", run.evidence.len()),
                |p| p.display().to_string(),
            );
            let key_ids: Vec<String> = keys.iter().map(OwnerKey::key_id).collect();
            let page = crate::html::render(
                &verdict,
                &crate::html::Context {
                    suspect: &suspect,
                    key_ids: &key_ids,
                    files: &files,
                    tool_version: env!("CARGO_PKG_VERSION"),
                },
            );
            stdout.write_all(page.as_bytes())?;
        }
    }
    if verdict.positions_observed == 0 {
        // "Nobody named" would read as a clean bill: nothing was read that
        // could clear or accuse anyone.
        eprintln!(
            "watermark: error: no code positions were read from the suspect, so no verdict \
             is possible (no source file in a supported language, or none with sites; \
             archives inside archives are not opened)"
        );
        return Ok(ExitCode::from(2));
    }
    Ok(if verdict.accused.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Most decoy recipients a trace scores (a typo of a few more digits
/// would otherwise run for days or exhaust memory).
const MAX_DECOYS: u64 = 10_000_000;

fn inspect(
    json: bool,
    show_refusals: bool,
    (candidates, epsilon): (u64, f64),
    walk: WalkOptions,
    path: &Path,
) -> Result<ExitCode> {
    if !(epsilon > 0.0 && epsilon < 1.0) {
        bail!("--epsilon must be between 0 and 1, got {epsilon}");
    }
    let bar = Bar::new("inspecting");
    let files = inspect_tree(path, walk, &bar)?;
    bar.finish();
    let mut stdout = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut stdout, &files)?;
        writeln!(stdout)?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        stdout,
        "{:<50} {:<7} {:>7} {:>6} {:>6} {:>6}  status",
        "file", "lang", "lines", "sites", "blank", "order"
    )?;
    let mut totals: Vec<(Lang, usize, usize)> = Vec::new();
    for file in &files {
        let sites: usize = file.channels.iter().map(|c| c.sites).sum();
        let of = |id: ChannelId| {
            file.channels
                .iter()
                .find(|c| c.channel == id.name())
                .map_or(0, |c| c.sites)
        };
        let status = match &file.report.status {
            FileStatus::Skipped(reason) => reason.to_string(),
            FileStatus::Processed {
                syntax_error: Some(at),
                ..
            } => format!("syntax error at {at}; the code around it is left alone"),
            _ => "ok".to_owned(),
        };
        let lang = file.report.lang.map_or("-", Lang::name);
        writeln!(
            stdout,
            "{:<50} {:<7} {:>7} {:>6} {:>6} {:>6}  {status}",
            crate::output::shown(&file.report.path),
            lang,
            file.lines,
            sites,
            of(ChannelId::BlankLines),
            of(ChannelId::ItemOrder),
        )?;
        if show_refusals {
            for r in &file.refusals {
                writeln!(
                    stdout,
                    "    {}:{}: {}: {}",
                    crate::output::shown(&file.report.path),
                    r.refusal.line,
                    r.channel,
                    r.refusal.reason
                )?;
            }
        }
        if let Some(lang) = file.report.lang {
            match totals.iter_mut().find(|t| t.0 == lang) {
                Some(t) => {
                    t.1 += file.lines;
                    t.2 += sites;
                }
                None => totals.push((lang, file.lines, sites)),
            }
        }
    }
    let mut all_sites = 0;
    for (lang, lines, sites) in totals {
        all_sites += sites;
        let per_kloc = if lines == 0 {
            0.0
        } else {
            sites as f64 * 1000.0 / lines as f64
        };
        writeln!(
            stdout,
            "total {lang}: {lines} lines, {sites} sites ({per_kloc:.1} per 1,000 lines)"
        )?;
    }
    for id in ChannelId::ALL {
        let count: usize = files
            .iter()
            .flat_map(|f| &f.channels)
            .filter(|c| c.channel == id.name())
            .map(|c| c.sites)
            .sum();
        writeln!(stdout, "channel {}: {count} sites", id.name())?;
    }
    // Sites sharing a locator carry one position: a slight overestimate.
    let plan = watermark_core::code::tardos::capacity_plan(all_sites as u64, candidates, epsilon);
    let needed = |c| watermark_core::code::tardos::positions_needed(c, candidates, epsilon);
    if plan.smallest_fraction > 1.0 {
        writeln!(
            stdout,
            "capacity ({candidates} candidates, epsilon {epsilon:e}): too small to trace: one \
             leaker needs {} positions and these files hold {all_sites} sites",
            needed(1),
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        stdout,
        "capacity ({candidates} candidates, epsilon {epsilon:e}): one leaker is traced from a leak \
         of {:.1} % of these sites ({} positions); coalitions of up to {} from all of them \
         (2 need {} positions; 3 need {} and tagging with --coalition 3 or more)",
        100.0 * plan.smallest_fraction,
        needed(1),
        plan.largest_coalition,
        needed(2),
        needed(3),
    )?;
    Ok(ExitCode::SUCCESS)
}
