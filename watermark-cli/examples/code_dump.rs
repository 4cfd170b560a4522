//! Print what the signed-comment code digest sees in a file, one node per
//! line, so that two files whose digests differ can be diffed:
//! `cargo run --example code_dump -- a.py > a.txt`.

fn main() {
    let path = std::env::args().nth(1).expect("usage: code_dump FILE");
    let lang =
        watermark_core::Lang::from_path(std::path::Path::new(&path)).expect("a .rs or .py file");
    let bytes = std::fs::read(&path).expect("readable file");
    match watermark_core::signed::code_dump(lang, &bytes) {
        Ok(dump) => print!("{dump}"),
        Err(e) => eprintln!("{path}: {e}"),
    }
}
