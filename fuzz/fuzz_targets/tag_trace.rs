//! Tag and trace arbitrary bytes.
//!
//! Input: the first byte chooses the language (even = Rust, odd = Python),
//! the rest is the file. Checks, beyond "never panics":
//!
//! - tagging is idempotent: tagging the output again for the same
//!   recipient gives the same bytes;
//! - a changed output is still readable by `Evidence::scan_source`;
//! - a file that was tagged (and has no syntax error) can be signed, the
//!   signed comment verifies as valid, and signing again gives the same
//!   bytes;
//! - a changed output holds the same words as the input, up to order
//!   (words split at whitespace and `,()[]`): tagging only inserts or
//!   removes blank lines, moves whole items and reorders derive lists.
//!   (That each move is an exact swap of siblings is proved inside
//!   `tag_source`, and debug builds re-check every re-parse.)
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use watermark_core::signed::{sign_source, verify_source, SignatureStatus};
use watermark_core::{tag_source, CodeParams, Evidence, FileStatus, Lang, OwnerKey, Recipient};

struct Fixture {
    key: OwnerKey,
    recipient: Recipient,
    params: CodeParams,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| Fixture {
        key: OwnerKey::from_seed([0x5a; 32]),
        recipient: Recipient::new("fuzz-vendor").expect("valid recipient id"),
        params: CodeParams::default(),
    })
}

/// The words of `bytes` (after a UTF-8 BOM; split at whitespace and
/// `,()[]`), sorted.
fn words(bytes: &[u8]) -> Vec<&[u8]> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut words: Vec<&[u8]> = bytes
        .split(|b| b.is_ascii_whitespace() || b",()[]".contains(b))
        .filter(|word| !word.is_empty())
        .collect();
    words.sort_unstable();
    words
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    let lang = if selector % 2 == 0 {
        Lang::Rust
    } else {
        Lang::Python
    };
    let f = fixture();

    let tagged = tag_source(lang, input, &f.key, &f.recipient, &f.params);
    let scanned_input = Evidence::new().scan_source(lang, input, &f.key);
    let scanned_output = Evidence::new().scan_source(lang, &tagged.output, &f.key);

    let again = tag_source(lang, &tagged.output, &f.key, &f.recipient, &f.params);
    assert!(
        again.output == tagged.output,
        "not idempotent: tagging the output again changed it\n\
         first status: {:?}\nsecond status: {:?}\n\
         --- output ---\n{}\n--- output tagged again ---\n{}",
        tagged.status,
        again.status,
        String::from_utf8_lossy(&tagged.output),
        String::from_utf8_lossy(&again.output),
    );

    if tagged.output != input {
        assert!(
            scanned_output.is_ok(),
            "tagged output unreadable by scan_source: {:?} (input: {:?}, status {:?})",
            scanned_output,
            scanned_input,
            tagged.status,
        );
        assert!(
            words(input) == words(&tagged.output),
            "tagging changed more than whitespace and order (status {:?})\n\
             --- input ---\n{}\n--- output ---\n{}",
            tagged.status,
            String::from_utf8_lossy(input),
            String::from_utf8_lossy(&tagged.output),
        );
    }

    // A file with syntax errors is tagged around them but cannot be signed.
    if matches!(
        tagged.status,
        FileStatus::Processed {
            syntax_error: None,
            ..
        }
    ) {
        let signed = sign_source(
            lang,
            &tagged.output,
            &f.key,
            &f.recipient,
            "fuzz-delivery",
            "src/fuzz",
            Some("Licensed for fuzzing"),
        )
        .unwrap_or_else(|e| panic!("a tagged file could not be signed: {e}"));
        let found = verify_source(lang, &signed, &[f.key.public_key()]);
        assert!(
            found.len() == 1 && found[0].status == SignatureStatus::Valid,
            "signed comment does not verify: {found:?}\n{}",
            String::from_utf8_lossy(&signed)
        );
        let again = sign_source(
            lang,
            &signed,
            &f.key,
            &f.recipient,
            "fuzz-delivery",
            "src/fuzz",
            Some("Licensed for fuzzing"),
        )
        .expect("signs again");
        assert!(again == signed, "signing is not idempotent");
    }
});
