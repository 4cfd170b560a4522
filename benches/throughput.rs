//! Throughput of tagging and tracing against bare tree-sitter parsing, on
//! the public corpus that `scripts/setup.sh` fetches.
//!
//! For each language separately, on the same files in the same run:
//!
//! - `parse`: one `tree_sitter::Parser` parses every file;
//! - `tag`: `tag_source` on every file (parse, plan, apply and the
//!   verification re-parse);
//! - `trace`: `Evidence::scan_source` on every file, then one `score`
//!   against 100 candidate recipients for the whole set.
//!
//! Criterion reports MB/s per group; a summary with the ratios to bare
//! parsing follows (best of a few repetitions timed directly), with a trace
//! among 10,000 candidates split into its scan and its scoring, and the
//! ratio that trace would reach if scoring cost no more than bare AES.

/// The CLI's allocator, so that the figures are the product's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::fs;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{criterion_group, Criterion, Throughput};
use watermark_core::{
    score, tag_source, CodeParams, Evidence, FileStatus, Lang, OwnerKey, Recipient, TraceParams,
};

/// Candidates scored by every trace.
const CANDIDATES: usize = 100;
/// Candidates of the large trace in the summary (issue 5's target).
const MANY_CANDIDATES: usize = 10_000;
/// Repetitions of the directly timed summary (the best one counts).
const SUMMARY_REPS: usize = 5;

/// The corpus folder that `scripts/setup.sh` fills.
fn corpus_dir() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME").map_or_else(
        || PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache"),
        PathBuf::from,
    );
    base.join("watermark-corpus").join("src")
}

/// One language's input: the files of every project of that language.
struct Inputs {
    lang: Lang,
    files: Vec<Vec<u8>>,
    bytes: u64,
}

/// Every regular file under `dir` (symbolic links not followed), sorted.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            walk(&path, out);
        } else if meta.is_file() {
            out.push(path);
        }
    }
}

/// Load the corpus: each `NAME-VERSION` project is a Rust or a Python
/// project by the language most of its source files are in, and only its
/// files of that language are taken. Panics when the corpus is missing.
fn load_corpus() -> Vec<Inputs> {
    let root = corpus_dir();
    assert!(
        root.is_dir(),
        "corpus folder {} not found: run `bash scripts/setup.sh` first",
        root.display()
    );
    let mut projects: Vec<PathBuf> = fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", root.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    projects.sort();
    let mut inputs: Vec<Inputs> = Lang::ALL
        .into_iter()
        .map(|lang| Inputs {
            lang,
            files: Vec::new(),
            bytes: 0,
        })
        .collect();
    for project in &projects {
        let mut paths = Vec::new();
        walk(project, &mut paths);
        let by_lang: Vec<(Lang, PathBuf)> = paths
            .into_iter()
            .filter_map(|p| Lang::from_path(&p).map(|lang| (lang, p)))
            .collect();
        let Some(main) = Lang::ALL
            .into_iter()
            .max_by_key(|&lang| by_lang.iter().filter(|(l, _)| *l == lang).count())
        else {
            continue;
        };
        let slot = inputs
            .iter_mut()
            .find(|i| i.lang == main)
            .expect("every language has a slot");
        for (lang, path) in by_lang {
            if lang != main {
                continue;
            }
            if let Ok(bytes) = fs::read(&path) {
                slot.bytes += bytes.len() as u64;
                slot.files.push(bytes);
            }
        }
    }
    for input in &inputs {
        assert!(
            !input.files.is_empty(),
            "no {} files under {}: run `bash scripts/setup.sh` first",
            input.lang,
            root.display()
        );
    }
    inputs
}

/// Shared inputs of the three operations.
struct Fixture {
    key: OwnerKey,
    recipient: Recipient,
    candidates: Vec<Recipient>,
    params: CodeParams,
    trace: TraceParams,
}

impl Fixture {
    fn new() -> Self {
        let candidates: Vec<Recipient> = (0..CANDIDATES)
            .map(|i| Recipient::new(&format!("vendor-{i:03}")).expect("valid recipient id"))
            .collect();
        Fixture {
            key: OwnerKey::from_seed([7; 32]),
            recipient: candidates[42].clone(),
            candidates,
            params: CodeParams::default(),
            trace: TraceParams::default(),
        }
    }

    /// Bare tree-sitter: one parser, every file. Returns a checksum.
    fn parse(&self, input: &Inputs, parser: &mut tree_sitter::Parser) -> usize {
        let mut nodes = 0;
        for file in &input.files {
            let tree = parser.parse(file, None).expect("tree-sitter parse");
            nodes += tree.root_node().descendant_count();
        }
        nodes
    }

    /// `tag_source` on every file. Returns the output size.
    fn tag(&self, input: &Inputs) -> usize {
        input
            .files
            .iter()
            .map(|file| {
                tag_source(input.lang, file, &self.key, &self.recipient, &self.params)
                    .output
                    .len()
            })
            .sum()
    }

    /// Untimed sanity check of the timed work: how many files tagging
    /// processed and skipped, and whom a trace of the tagged copy names.
    fn tag_check(&self, input: &Inputs) -> (usize, usize, Option<String>) {
        let (mut processed, mut skipped) = (0, 0);
        let mut evidence = Evidence::new();
        for file in &input.files {
            let tagged = tag_source(input.lang, file, &self.key, &self.recipient, &self.params);
            match tagged.status {
                FileStatus::Processed { .. } => processed += 1,
                _ => skipped += 1,
            }
            let _ = evidence.scan_source(input.lang, &tagged.output, &self.key);
        }
        let verdict = score(&evidence, &self.key, &self.candidates, &self.trace);
        let named: Vec<&str> = verdict
            .accused
            .iter()
            .map(|a| a.recipient.as_str())
            .collect();
        let named = (!named.is_empty()).then(|| named.join(", "));
        (processed, skipped, named)
    }

    /// `scan_source` on every file, then one `score` of every candidate.
    fn trace(&self, input: &Inputs) -> usize {
        self.trace_among(input, &self.candidates)
    }

    /// [`Fixture::trace`] against `candidates`.
    fn trace_among(&self, input: &Inputs, candidates: &[Recipient]) -> usize {
        let evidence = self.scan(input);
        let verdict = score(&evidence, &self.key, candidates, &self.trace);
        verdict.candidates.len()
    }

    /// `scan_source` on every file: the evidence a trace scores.
    fn scan(&self, input: &Inputs) -> Evidence {
        let mut evidence = Evidence::new();
        for file in &input.files {
            // A file the scanner refuses simply adds no evidence.
            let _ = evidence.scan_source(input.lang, file, &self.key);
        }
        evidence
    }
}

fn parser_for(lang: Lang) -> tree_sitter::Parser {
    let mut parser = tree_sitter::Parser::new();
    parser.set_language(&lang.grammar()).expect("grammar loads");
    parser
}

fn throughput(c: &mut Criterion) {
    let fixture = Fixture::new();
    for input in load_corpus() {
        let mut group = c.benchmark_group(input.lang.name());
        group.sample_size(10);
        group.warm_up_time(Duration::from_secs(1));
        group.measurement_time(Duration::from_secs(5));
        group.throughput(Throughput::Bytes(input.bytes));
        let mut parser = parser_for(input.lang);
        group.bench_function("parse", |b| {
            b.iter(|| black_box(fixture.parse(&input, &mut parser)))
        });
        group.bench_function("tag", |b| b.iter(|| black_box(fixture.tag(&input))));
        group.bench_function("trace", |b| b.iter(|| black_box(fixture.trace(&input))));
        group.finish();
    }
}

/// Nanoseconds per block of bare AES-128 on this CPU, on one thread: the
/// keyed function behind every codeword draw, at the fastest the `aes`
/// crate runs it (many blocks per call, in place). A floor on the cost of
/// scoring one candidate at one position.
fn aes_ns_per_block() -> f64 {
    use aes::cipher::{BlockCipherEncrypt, KeyInit};
    let cipher = aes::Aes128::new(&[5u8; 16].into());
    let mut blocks = vec![aes::Block::default(); 1 << 14];
    for (i, block) in blocks.iter_mut().enumerate() {
        block[..8].copy_from_slice(&(i as u64).to_le_bytes());
    }
    const ROUNDS: usize = 50;
    let best = best_of(|| {
        for _ in 0..ROUNDS {
            cipher.encrypt_blocks(&mut blocks);
        }
        usize::from(blocks[0][0])
    });
    best.as_secs_f64() * 1e9 / (ROUNDS * blocks.len()) as f64
}

/// Best wall time of `SUMMARY_REPS` runs of `run`.
fn best_of(mut run: impl FnMut() -> usize) -> Duration {
    (0..SUMMARY_REPS)
        .map(|_| {
            let started = Instant::now();
            black_box(run());
            started.elapsed()
        })
        .min()
        .expect("at least one repetition")
}

/// Time each operation directly and print MB/s and the ratios to parsing.
fn summary() {
    let fixture = Fixture::new();
    let aes = aes_ns_per_block();
    println!();
    println!(
        "summary (best of {SUMMARY_REPS}; MB = 10^6 bytes; % = share of bare parse throughput):"
    );
    for input in load_corpus() {
        let mut parser = parser_for(input.lang);
        let parse = best_of(|| fixture.parse(&input, &mut parser));
        let tag = best_of(|| fixture.tag(&input));
        let trace = best_of(|| fixture.trace(&input));
        let many: Vec<Recipient> = (0..MANY_CANDIDATES)
            .map(|i| Recipient::new(&format!("vendor-{i:05}")).expect("valid recipient id"))
            .collect();
        let trace_many = best_of(|| fixture.trace_among(&input, &many));
        // The two parts of the large trace: reading the files, and scoring
        // every candidate at every position (one keyed block cipher call
        // per pair, on every core).
        let evidence = fixture.scan(&input);
        let scan = best_of(|| fixture.scan(&input).files_scanned() as usize);
        let mut positions = 0;
        let scoring = best_of(|| {
            let verdict = score(&evidence, &fixture.key, &many, &fixture.trace);
            positions = verdict.positions_observed;
            verdict.candidates.len()
        });
        let (tagged, skipped, copy) = fixture.tag_check(&input);
        let mb = input.bytes as f64 / 1e6;
        let rate = |d: Duration| mb / d.as_secs_f64();
        let pct = |d: Duration| 100.0 * parse.as_secs_f64() / d.as_secs_f64();
        println!(
            "{}: {} files, {:.2} MB: parse {:.1} MB/s, tag {:.1} MB/s ({:.0} % of parse), \
             trace {:.1} MB/s ({:.0} %), trace among {MANY_CANDIDATES} {:.1} MB/s ({:.0} %)",
            input.lang,
            input.files.len(),
            mb,
            rate(parse),
            rate(tag),
            pct(tag),
            rate(trace),
            pct(trace),
            rate(trace_many),
            pct(trace_many),
        );
        let threads = rayon::current_num_threads();
        let pairs = positions as f64 * MANY_CANDIDATES as f64;
        println!(
            "  trace among {MANY_CANDIDATES} = scan {:.1} ms ({:.0} % of parse) + score {:.1} ms: \
             {positions} positions x {MANY_CANDIDATES} candidates, {:.2} ns per pair on each of \
             {threads} threads; with a scan as fast as bare parsing it would be {:.0} %, \
             and {:.0} % if each pair cost no more than bare AES-128 ({aes:.2} ns a block)",
            scan.as_secs_f64() * 1e3,
            pct(scan),
            scoring.as_secs_f64() * 1e3,
            scoring.as_secs_f64() * 1e9 * threads as f64 / pairs,
            100.0 * parse.as_secs_f64() / (parse + scoring).as_secs_f64(),
            100.0 * parse.as_secs_f64()
                / (parse.as_secs_f64() + pairs * aes * 1e-9 / threads as f64),
        );
        println!(
            "  check: {tagged} files tagged, {skipped} left unchanged; \
             the trace of {}'s copy names {}",
            fixture.recipient,
            copy.as_deref().unwrap_or("nobody"),
        );
    }
}

criterion_group!(benches, throughput);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    // `cargo bench` passes `--bench`; `cargo test --benches` (one quick
    // pass per benchmark) and `--list` do not, and skip the summary.
    if std::env::args().any(|a| a == "--bench") {
        summary();
    }
}
