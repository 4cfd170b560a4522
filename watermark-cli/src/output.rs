//! Printing verdicts and reports; progress bars.

use std::io::Write;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use watermark_core::{FileReport, FileStatus, Progress, Verdict};

/// Trees with more files than this get a progress bar (on a terminal).
const PROGRESS_MIN_FILES: u64 = 200;

/// A progress bar on stderr, shown only for long runs on a terminal.
pub(crate) struct Bar {
    bar: ProgressBar,
}

impl Bar {
    pub(crate) fn new(verb: &'static str) -> Self {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        let style = ProgressStyle::with_template("{prefix} [{bar:40}] {pos}/{len} files ({eta})")
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_prefix(verb);
        Bar { bar }
    }

    pub(crate) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Progress for Bar {
    fn start(&self, total: u64) {
        self.bar.set_length(total);
        if total > PROGRESS_MIN_FILES {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }

    fn advance(&self) {
        self.bar.inc(1);
    }
}

pub(crate) fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        let io = cause
            .downcast_ref::<std::io::Error>()
            .map(std::io::Error::kind);
        // `--json` writes through serde_json, which wraps the I/O error.
        let json = cause
            .downcast_ref::<serde_json::Error>()
            .and_then(serde_json::Error::io_error_kind);
        io.or(json) == Some(std::io::ErrorKind::BrokenPipe)
    })
}

/// Per-file problems, on stderr, one line each.
pub(crate) fn warn_skipped(files: &[FileReport]) {
    for file in files {
        match &file.status {
            // Asked for: the report lists them, a warning would not help.
            FileStatus::Skipped(
                watermark_core::SkipReason::Verbatim { .. }
                | watermark_core::SkipReason::Generated { .. },
            ) => {}
            FileStatus::Skipped(reason) => {
                eprintln!("watermark: warning: {}: {reason}", shown(&file.path));
            }
            FileStatus::Processed {
                syntax_error: Some(at),
                sites,
                ..
            } => {
                eprintln!(
                    "watermark: warning: {}: syntax error at {at}; the code around it is \
                     left alone{}",
                    shown(&file.path),
                    if *sites > 0 {
                        ", the rest carries the mark"
                    } else {
                        ""
                    }
                );
            }
            _ => {}
        }
    }
}

/// A path from a suspect, for a terminal: control characters escaped, so
/// a file name cannot forge a line of the report (a newline) or hide the
/// rest of it (an escape sequence).
pub(crate) fn shown(path: &std::path::Path) -> String {
    clean(&path.display().to_string())
}

/// Text from a suspect (a name, a field of a comment) with control
/// characters escaped.
pub(crate) fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

pub(crate) fn print_verdict(
    out: &mut impl Write,
    verdict: &Verdict,
    show: usize,
) -> std::io::Result<()> {
    writeln!(
        out,
        "scanned {} source files: {} sites, {} code positions",
        verdict.files_scanned, verdict.sites_observed, verdict.positions_observed
    )?;
    let n = verdict.candidates.len();
    if verdict.positions_observed == 0 {
        writeln!(
            out,
            "verdict: none possible: no code positions were read, which can neither clear nor accuse anyone"
        )?;
    } else if verdict.accused.is_empty() {
        writeln!(out, "verdict: nobody named among {n} candidates")?;
    }
    let looks = verdict.looks.len();
    // Where the evidence was found, when the suspect was looked at in
    // more than one way.
    let look = |c: &watermark_core::CandidateScore| {
        if looks > 1 && c.look != watermark_core::LOOK_ALL {
            format!(
                " in {}, {} of {} positions",
                clean(&c.look),
                c.look_positions,
                verdict.positions_observed
            )
        } else {
            String::new()
        }
    };
    for c in &verdict.accused {
        let empirical = c.empirical_p_value.map_or_else(String::new, |p| {
            format!("; {p:.4} over {} decoy recipients", verdict.decoys)
        });
        writeln!(
            out,
            "verdict: {} (score {:.1} >= threshold {:.1}{}; p = {}{empirical})",
            c.recipient,
            c.score,
            c.threshold,
            look(c),
            format_p(c.log10_p_value)
        )?;
    }
    writeln!(
        out,
        "bound: the chance that any innocent candidate is named is at most {:e} ({n} candidates, per-candidate p <= 1e{:.2})",
        verdict.epsilon, verdict.log10_alpha_per_candidate
    )?;
    if looks > 1 {
        writeln!(
            out,
            "looks: {looks} (all files{}, each file alone); each candidate's p is its best \
             look's divided by that look's share of the bound ({} for all files, the rest split)",
            if verdict
                .looks
                .iter()
                .any(|l| l == watermark_core::LOOK_TAGGABLE)
            {
                ", the files tagging edits"
            } else {
                ""
            },
            watermark_core::WEIGHT_ALL,
        )?;
    }
    if show > 0 {
        writeln!(out, "top candidates:")?;
        for c in verdict.candidates.iter().take(show) {
            writeln!(
                out,
                "  {:<24} score {:>9.1}  p = {:<10} {}{}",
                c.recipient,
                c.score,
                format_p(c.log10_p_value),
                if c.accused { "NAMED" } else { "     " },
                look(c)
            )?;
        }
    }
    Ok(())
}

/// A p-value that may underflow f64, printed from its log10.
pub(crate) fn format_p(log10_p: f64) -> String {
    if log10_p > -4.0 {
        format!("{:.4}", 10f64.powf(log10_p))
    } else {
        let exponent = log10_p.floor();
        let mantissa = 10f64.powf(log10_p - exponent);
        format!("{mantissa:.1}e{exponent}")
    }
}
