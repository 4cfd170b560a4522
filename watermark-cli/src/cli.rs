//! Command-line definitions and the commands (thin: everything real is in
//! `watermark-core`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use watermark_core::{
    inspect_tree, scan_tree, score, tag_tree, ChannelId, CodeParams, FileStatus, Lang, OwnerKey,
    Recipient, TraceParams, WalkOptions,
};

use crate::output::{print_verdict, warn_skipped, Bar};

/// Invisible, behaviour-preserving fingerprints in source code, and blind
/// tracing of leaked copies.
///
/// Exit codes: 0 success / somebody named, 1 trace named nobody, 2 error.
#[derive(Debug, Parser)]
#[command(
    name = "watermark",
    version,
    about,
    long_about = None,
    after_help = "Exit codes: 0 success / somebody named, 1 trace named nobody, 2 error."
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
        #[command(flatten)]
        walk: WalkArgs,
        /// Print the per-file report as JSON on stdout.
        #[arg(long)]
        json: bool,
        /// The tree or file to tag (never written to).
        src: PathBuf,
        /// Where to write the tagged copy; must not exist.
        out: PathBuf,
    },
    /// Name the recipient a suspect tree (or file) came from.
    Trace {
        /// The owner key (PKCS#8 PEM).
        #[arg(long)]
        key: PathBuf,
        /// Candidate recipients, comma-separated.
        #[arg(long, value_delimiter = ',', required = true)]
        recipients: Vec<String>,
        /// Family-wise bound on naming any innocent candidate.
        #[arg(long, default_value_t = 1e-9)]
        epsilon: f64,
        /// Print one JSON object on stdout.
        #[arg(long)]
        json: bool,
        /// How many top candidates to list in the text output.
        #[arg(long, default_value_t = 5)]
        show: usize,
        #[command(flatten)]
        walk: WalkArgs,
        /// The suspect tree or file.
        suspect: PathBuf,
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

#[derive(Debug, Args)]
struct WalkArgs {
    /// Do not respect .gitignore / .ignore files.
    #[arg(long)]
    no_ignore: bool,
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
                ..CodeParams::default()
            };
            tag(&key, &recipient, &params, walk.options(), json, &src, &out)
        }
        Command::Trace {
            key,
            recipients,
            epsilon,
            json,
            show,
            walk,
            suspect,
        } => trace(
            &key,
            &recipients,
            epsilon,
            json,
            show,
            walk.options(),
            &suspect,
        ),
        Command::Inspect {
            json,
            refusals,
            walk,
            path,
        } => inspect(json, refusals, walk.options(), &path),
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

fn tag(
    key: &Path,
    recipient: &str,
    params: &CodeParams,
    walk: WalkOptions,
    json: bool,
    src: &Path,
    out: &Path,
) -> Result<ExitCode> {
    let key = OwnerKey::load(key)?;
    let recipient = Recipient::new(recipient)?;
    let bar = Bar::new("tagging");
    let report = tag_tree(src, out, &key, &recipient, params, walk, &bar)?;
    bar.finish();
    warn_skipped(&report.files);
    let mut stdout = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut stdout, &report)?;
        writeln!(stdout)?;
    } else {
        let (mut tagged, mut sites, mut edits, mut skipped, mut copied) = (0, 0, 0, 0, 0);
        for file in &report.files {
            match &file.status {
                FileStatus::Processed { sites: s, edits: e } => {
                    tagged += 1;
                    sites += s;
                    edits += e;
                }
                FileStatus::Skipped(_) => skipped += 1,
                FileStatus::Copied | FileStatus::Symlink => copied += 1,
            }
        }
        writeln!(
            stdout,
            "tagged {tagged} source files for {recipient} ({sites} sites, {edits} edits); \
             {skipped} source files left unchanged; {copied} other files copied -> {}",
            out.display()
        )?;
    }
    Ok(ExitCode::SUCCESS)
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

fn trace(
    key: &Path,
    recipients: &[String],
    epsilon: f64,
    json: bool,
    show: usize,
    walk: WalkOptions,
    suspect: &Path,
) -> Result<ExitCode> {
    if !(epsilon > 0.0 && epsilon < 1.0) {
        bail!("--epsilon must be between 0 and 1, got {epsilon}");
    }
    let key = OwnerKey::load(key)?;
    let candidates = parse_recipients(recipients)?;
    let bar = Bar::new("tracing");
    let (evidence, files) = scan_tree(suspect, &key, walk, &bar)?;
    bar.finish();
    warn_skipped(&files);
    let params = TraceParams {
        epsilon,
        ..TraceParams::default()
    };
    let verdict = score(&evidence, &key, &candidates, &params);
    let mut stdout = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut stdout, &verdict).context("writing JSON")?;
        writeln!(stdout)?;
    } else {
        print_verdict(&mut stdout, &verdict, show)?;
    }
    Ok(if verdict.accused.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn inspect(json: bool, show_refusals: bool, walk: WalkOptions, path: &Path) -> Result<ExitCode> {
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
            _ => "ok".to_owned(),
        };
        let lang = file.report.lang.map_or("-", Lang::name);
        writeln!(
            stdout,
            "{:<50} {:<7} {:>7} {:>6} {:>6} {:>6}  {status}",
            file.report.path.display(),
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
                    file.report.path.display(),
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
    for (lang, lines, sites) in totals {
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
    Ok(ExitCode::SUCCESS)
}
