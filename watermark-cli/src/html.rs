//! `trace --format html`: one self-contained page (no scripts, no external
//! resources) for a court or a manager: the verdict, every candidate's
//! score against the threshold as a chart, the evidence per file and per
//! channel, and the parameters.

use std::fmt::Write as _;

use watermark_core::{FileReport, FileStatus, Verdict};

use crate::output::format_p;

/// Candidates drawn in the chart (the rest are listed in the table).
const CHART_MAX: usize = 40;

/// What the report says about the run besides the verdict.
pub(crate) struct Context<'a> {
    pub suspect: &'a str,
    pub key_ids: &'a [String],
    pub files: &'a [FileReport],
    pub tool_version: &'a str,
}

/// Text from the suspect or the command line for HTML: markup characters
/// as entities, and control characters escaped as in the text report
/// (`\n`, `\u{1b}`), so a file name cannot forge a line or hide text.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            c if c.is_control() => out.extend(c.escape_default()),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub(crate) fn render(verdict: &Verdict, ctx: &Context<'_>) -> String {
    let mut h = String::new();
    let headline = if verdict.accused.is_empty() {
        format!("Nobody named among {} candidates", verdict.candidates.len())
    } else {
        let names: Vec<String> = verdict.accused.iter().map(|c| esc(&c.recipient)).collect();
        format!("Named: {}", names.join(", "))
    };
    let _ = write!(
        h,
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>watermark trace: {title}</title>
<style>
body{{font-family:system-ui,sans-serif;margin:2em auto;max-width:60em;color:#222;line-height:1.4}}
h1{{font-size:1.6em}} .named{{color:#a00}} .nobody{{color:#070}}
table{{border-collapse:collapse;margin:.5em 0 1.5em}} td,th{{border:1px solid #ccc;padding:.2em .6em;text-align:left}}
td.n{{text-align:right;font-variant-numeric:tabular-nums}} .small{{color:#666;font-size:.9em}}
</style></head><body>
<h1 id="verdict" class="{class}">{headline}</h1>
<p>Suspect <code>{suspect}</code>: {files} source files, {sites} sites, {positions} code positions observed.</p>
<p>Bound: the probability that <em>any</em> innocent candidate is named is at most {eps:e}
({n} candidates; a candidate is named when the chance that a recipient whose copy this is not
scores as high is at most 10<sup>{alpha:.2}</sup>).</p>
"#,
        title = esc(&headline),
        class = if verdict.accused.is_empty() {
            "nobody"
        } else {
            "named"
        },
        suspect = esc(ctx.suspect),
        files = verdict.files_scanned,
        sites = verdict.sites_observed,
        positions = verdict.positions_observed,
        eps = verdict.epsilon,
        n = verdict.candidates.len(),
        alpha = verdict.log10_alpha_per_candidate,
    );
    for c in &verdict.accused {
        let _ = writeln!(
            h,
            "<p class=\"named\"><strong>{}</strong>: score {:.1} against threshold {:.1}{}; \
             p = {} (analytic){}.</p>",
            esc(&c.recipient),
            c.score,
            c.threshold,
            if verdict.looks.len() > 1 {
                format!(
                    " in {} (one of {} looks, p multiplied by their number)",
                    esc(&c.look),
                    verdict.looks.len()
                )
            } else {
                String::new()
            },
            format_p(c.log10_p_value),
            c.empirical_p_value.map_or_else(String::new, |p| format!(
                ", empirical p = {p:.4} over {} decoy recipients",
                verdict.decoys
            )),
        );
    }
    chart(&mut h, verdict);
    let _ = writeln!(
        h,
        "<h2>Candidates</h2><table><tr><th>Recipient</th><th>Score</th><th>Threshold</th>\
         <th>p (analytic)</th><th>p (decoys)</th><th>Named</th><th>Look</th></tr>"
    );
    for c in &verdict.candidates {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td class=n>{:.1}</td><td class=n>{:.1}</td><td class=n>{}</td>\
             <td class=n>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&c.recipient),
            c.score,
            c.threshold,
            format_p(c.log10_p_value),
            c.empirical_p_value
                .map_or_else(|| "-".to_owned(), |p| format!("{p:.4}")),
            if c.accused { "NAMED" } else { "" },
            esc(&c.look),
        );
    }
    h.push_str("</table>\n<h2>Evidence per channel</h2><table><tr><th>Channel</th><th>Positions</th></tr>\n");
    for (channel, count) in &verdict.positions_per_channel {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td class=n>{count}</td></tr>",
            esc(channel)
        );
    }
    h.push_str("</table>\n<h2>Evidence per file</h2><table><tr><th>File</th><th>Language</th><th>Sites read</th><th>Note</th></tr>\n");
    for f in ctx.files {
        let (sites, note) = match &f.status {
            FileStatus::Processed { sites, .. } => (sites.to_string(), String::new()),
            FileStatus::Skipped(reason) => ("0".to_owned(), reason.to_string()),
            FileStatus::Copied | FileStatus::Symlink => continue,
        };
        let _ = writeln!(
            h,
            "<tr><td><code>{}</code></td><td>{}</td><td class=n>{sites}</td><td>{}</td></tr>",
            esc(&f.path.display().to_string()),
            f.lang.map_or("-", |l| l.name()),
            esc(&note)
        );
    }
    if ctx.files.is_empty() {
        h.push_str("<tr><td colspan=4>(read from evidence files)</td></tr>\n");
    }
    let _ = write!(
        h,
        "</table>\n<h2>Parameters</h2><table>\
         <tr><td>epsilon (family-wise)</td><td>{:e}</td></tr>\
         <tr><td>candidates</td><td>{}</td></tr>\
         <tr><td>decoy recipients</td><td>{}</td></tr>\
         <tr><td>owner key id(s)</td><td>{}</td></tr>\
         <tr><td>tool</td><td>watermark {}</td></tr></table>\n\
         <p class=small>Scores are symmetric Tardos scores; the analytic p-value is exact \
         (binomial) for bias 1/2. The decoys are key-derived recipients nobody received: their \
         scores show what an innocent candidate scores on this very suspect.</p>\n</body></html>\n",
        verdict.epsilon,
        verdict.candidates.len(),
        verdict.decoys,
        esc(&ctx.key_ids.join(", ")),
        esc(ctx.tool_version),
    );
    h
}

/// Horizontal bars: each candidate's evidence as -log10 of its p-value
/// (its score measured on one scale whatever look it was found in), the
/// naming threshold -log10(epsilon / n) as a line.
fn chart(h: &mut String, verdict: &Verdict) {
    let shown: Vec<_> = verdict.candidates.iter().take(CHART_MAX).collect();
    if shown.is_empty() {
        return;
    }
    let threshold = -verdict.log10_alpha_per_candidate;
    let max = shown
        .iter()
        .map(|c| -c.log10_p_value)
        .fold(threshold.max(1.0), f64::max);
    let (label_w, bar_w, row_h) = (180.0, 520.0, 18.0);
    let scale = bar_w / max;
    let height = row_h * shown.len() as f64 + 30.0;
    let _ = writeln!(
        h,
        "<h2>Scores against the threshold</h2>\n<p class=small>Each bar is a candidate's \
         evidence, -log<sub>10</sub> of its p-value (its score, on one scale for every \
         look); a candidate is named when its bar crosses the dashed line.</p>\n\
         <svg role=\"img\" aria-label=\"candidate scores\" \
         width=\"{w}\" height=\"{height}\" font-size=\"12\">",
        w = label_w + bar_w + 20.0
    );
    for (i, c) in shown.iter().enumerate() {
        let y = row_h * i as f64 + 4.0;
        let color = if c.accused { "#c33" } else { "#89a" };
        let _ = writeln!(
            h,
            "<text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\">{name}</text>\
             <rect x=\"{label_w:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{bh}\" fill=\"{color}\">\
             <title>{name}: score {score:.1}, p = {p}</title></rect>",
            lx = label_w - 6.0,
            ty = y + 12.0,
            name = esc(&c.recipient),
            w = (-c.log10_p_value * scale).max(0.5),
            bh = row_h - 4.0,
            score = c.score,
            p = format_p(c.log10_p_value),
        );
    }
    let tx = label_w + threshold * scale;
    let _ = writeln!(
        h,
        "<line x1=\"{tx:.1}\" x2=\"{tx:.1}\" y1=\"0\" y2=\"{y2:.1}\" stroke=\"#000\" stroke-dasharray=\"4 3\"/>\
         <text x=\"{tx:.1}\" y=\"{ly:.1}\" text-anchor=\"middle\">threshold p = 1e{alpha:.2}</text>\
         <line x1=\"{label_w:.1}\" x2=\"{label_w:.1}\" y1=\"0\" y2=\"{y2:.1}\" stroke=\"#999\"/>\n</svg>",
        y2 = height - 16.0,
        ly = height - 4.0,
        alpha = verdict.log10_alpha_per_candidate,
    );
    if verdict.candidates.len() > CHART_MAX {
        let _ = writeln!(
            h,
            "<p class=small>The {CHART_MAX} highest of {} candidates are drawn; all are in the table.</p>",
            verdict.candidates.len()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn markup_and_control_characters_are_escaped() {
        assert_eq!(
            esc("a<b>&\"'\n\u{1b}[31m.rs"),
            "a&lt;b&gt;&amp;&quot;&#39;\\n\\u{1b}[31m.rs"
        );
        assert_eq!(esc("plain/ü.py"), "plain/ü.py");
    }
}
