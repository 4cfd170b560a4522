//! `watermark`: tag source trees per recipient and trace leaked copies.
//!
//! Exit codes, as grep: 0 found / success, 1 nothing found (trace named
//! nobody), 2 error.

mod cli;
mod demo;
mod html;
mod output;
mod provenance;
mod sample;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::run() {
        Ok(code) => code,
        Err(err) => {
            if output::is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("watermark: error: {}", message(&err));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes, each cause once: library errors already show
/// their source in their own message.
fn message(err: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in err.chain() {
        let part = cause.to_string();
        if text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}
