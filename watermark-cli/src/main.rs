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
            eprintln!("watermark: error: {err:#}");
            ExitCode::from(2)
        }
    }
}
