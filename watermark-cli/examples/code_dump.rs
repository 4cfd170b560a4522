fn main() {
    let args: Vec<String> = std::env::args().collect();
    let lang = watermark_core::Lang::from_path(std::path::Path::new(&args[1])).unwrap();
    let bytes = std::fs::read(&args[1]).unwrap();
    print!("{}", watermark_core::signed::code_dump(lang, &bytes).unwrap());
}
