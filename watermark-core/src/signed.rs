//! Signed provenance comments: the overt layer.
//!
//! A tagged file may carry, right after its shebang, encoding line or inner
//! attributes, a comment in the language's own syntax:
//!
//! ```text
//! # Licensed to ACME under agreement #123
//! # watermark-signed: v1 key=3f2a.. recipient=acme delivery=d-1 path=pkg/mod.py notice=1 code=.. sig=..
//! ```
//!
//! The Ed25519 signature covers the key id, recipient, delivery id, the
//! file's path in the delivery, the notice line and a digest of the file's
//! code ([`code_digest`]). That digest ignores what the usual formatters
//! change (whitespace, comments, string quote style, trailing commas,
//! redundant parentheses, the order of `use` lines) and nothing else, so
//! anyone holding the public key can tell whether a file found somewhere
//! is still, up to formatting, the code that was delivered, and to whom.

use std::borrow::Cow;

use base64ct::{Base64UrlUnpadded, Encoding};
use serde::Serialize;
use tree_sitter::Node;

use crate::key::{OwnerKey, PublicKey};
use crate::lang::{Lang, SignedTable};
use crate::recipient::Recipient;
use crate::report::SkipReason;
use crate::syntax::{decode, line_column, parse};

/// The marker that opens a signature comment, after the comment opener.
const MARKER: &str = "watermark-signed:";
/// Version of the comment format and of the signed message.
const VERSION: &str = "v1";
/// Domain separation of the signed message.
const MESSAGE_CONTEXT: &[u8] = b"watermark signed comment v1\n";
/// Key-derivation context of the code digest (public: anyone recomputes it).
const DIGEST_CONTEXT: &str = "watermark 2026-11-27 v1 code digest";
/// Longest notice, in bytes.
pub const MAX_NOTICE_BYTES: usize = 500;
/// Longest delivery id or path, in bytes.
const MAX_FIELD_BYTES: usize = 1000;

/// What a signature comment says, and what the signature covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignedFields {
    /// Id of the owner key that signed ([`OwnerKey::key_id`]).
    pub key_id: String,
    /// Who received this copy.
    pub recipient: String,
    /// The delivery (one `tag` run).
    pub delivery_id: String,
    /// The file's path in the delivery, `/`-separated.
    pub path: String,
    /// The human notice on the line above, if any.
    pub notice: Option<String>,
    /// The code digest at delivery ([`code_digest`]).
    #[serde(skip)]
    pub code: [u8; 32],
}

/// The verdict on one signature comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum SignatureStatus {
    /// The signature is good and the code is what was delivered.
    Valid,
    /// The signature is good, but the code changed since delivery.
    CodeChanged {
        /// What the check found (a different digest, or a syntax error).
        detail: String,
    },
    /// The comment or its notice was altered, or the signature is bad.
    Invalid {
        /// Why.
        detail: String,
    },
    /// Signed by a key that was not given.
    UnknownKey,
}

/// One signature comment found in a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FoundSignature {
    /// 1-based line of the signature comment.
    pub line: usize,
    /// What the comment claims (absent when it cannot be read at all).
    pub fields: Option<SignedFields>,
    /// The verdict.
    #[serde(flatten)]
    pub status: SignatureStatus,
}

/// Why a file cannot be signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    /// The file cannot be read as source.
    #[error(transparent)]
    Source(#[from] SkipReason),
    /// The notice spans lines, holds another control character (an
    /// escape sequence would write into every delivered file) or is too
    /// long.
    #[error("the notice must be one line of at most {MAX_NOTICE_BYTES} bytes, without control characters")]
    BadNotice,
    /// A file-selection glob does not parse.
    #[error("bad glob: {0}")]
    BadGlob(String),
    /// The delivery id or path is empty or too long.
    #[error("{0} must be 1 to {MAX_FIELD_BYTES} bytes")]
    BadField(&'static str),
}

/// The digest of the file's code that a signature covers: the syntax tree
/// with whitespace and comments removed and the language table's
/// formatter normalizations applied. Fails on a file that does not parse
/// cleanly.
pub fn code_digest(lang: Lang, bytes: &[u8]) -> Result<[u8; 32], SkipReason> {
    let decoded = decode(bytes)?;
    let parsed = parse(lang, decoded.text)?;
    if let Some((line, column)) = parsed.first_error() {
        return Err(SkipReason::ParseErrors { line, column });
    }
    Ok(digest_tree(
        &lang.table().signed,
        parsed.tree.root_node(),
        decoded.text,
    ))
}

/// `bytes` with a signature comment for `recipient` (any signature comment
/// already there replaced). The comment goes after the shebang, encoding
/// line and inner attributes, in the file's line endings.
pub fn sign_source(
    lang: Lang,
    bytes: &[u8],
    key: &OwnerKey,
    recipient: &Recipient,
    delivery_id: &str,
    path: &str,
    notice: Option<&str>,
) -> Result<Vec<u8>, SignError> {
    if let Some(notice) = notice {
        if notice.len() > MAX_NOTICE_BYTES || notice.contains(char::is_control) {
            return Err(SignError::BadNotice);
        }
    }
    for (name, value) in [("the delivery id", delivery_id), ("the path", path)] {
        if value.is_empty() || value.len() > MAX_FIELD_BYTES {
            return Err(SignError::BadField(name));
        }
    }
    let table = &lang.table().signed;
    let decoded = decode(bytes)?;
    let original = parse(lang, decoded.text)?;
    let text = strip_signatures(table, decoded.text, &original.tree.root_node());
    // Parse again only when an old signature was taken out.
    let stripped;
    let parsed = if matches!(text, Cow::Borrowed(_)) {
        &original
    } else {
        stripped = parse(lang, &text)?;
        &stripped
    };
    if let Some((line, column)) = parsed.first_error() {
        return Err(SkipReason::ParseErrors { line, column }.into());
    }
    let fields = SignedFields {
        key_id: key.key_id(),
        recipient: recipient.as_str().to_owned(),
        delivery_id: delivery_id.to_owned(),
        path: path.to_owned(),
        notice: notice
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty()),
        code: digest_tree(table, parsed.tree.root_node(), &text),
    };
    let signature = key.sign(&message(&fields));
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut comment = String::new();
    if let Some(notice) = &fields.notice {
        comment += &format!("{} {notice}{eol}", table.line_comment);
    }
    comment += &format!(
        "{} {}{eol}",
        table.line_comment,
        render_line(&fields, Some(&signature))
    );
    let at = insertion_point(table, &parsed.tree.root_node(), &text);
    let mut out = Vec::with_capacity(bytes.len() + comment.len() + 2);
    out.extend_from_slice(decoded.bom);
    out.extend_from_slice(text[..at].as_bytes());
    if at > 0 && !text[..at].ends_with('\n') {
        out.extend_from_slice(eol.as_bytes());
    }
    out.extend_from_slice(comment.as_bytes());
    out.extend_from_slice(text[at..].as_bytes());
    Ok(out)
}

/// Every signature comment in `bytes`, each checked against `keys` and the
/// file's current code. Empty when the file carries none.
pub fn verify_source(lang: Lang, bytes: &[u8], keys: &[PublicKey]) -> Vec<FoundSignature> {
    let table = &lang.table().signed;
    let Ok(decoded) = decode(bytes) else {
        // Not text: nothing to find. (`decode` names the reason; a file
        // that is not UTF-8 cannot hold our comment in the first place.)
        return Vec::new();
    };
    let text = decoded.text;
    let Ok(parsed) = parse(lang, text) else {
        return Vec::new();
    };
    let found = signature_lines(table, text, &parsed.tree.root_node());
    if found.is_empty() {
        return Vec::new();
    }
    let current = match parsed.first_error() {
        Some((line, column)) => Err(format!("the code no longer parses ({line}:{column})")),
        None => Ok(digest_tree(table, parsed.tree.root_node(), text)),
    };
    found
        .into_iter()
        .map(|(offset, line_text, notice)| {
            let (line, _) = line_column(text.as_bytes(), offset);
            let parsed = match (
                line_text.strip_prefix(' '),
                notice.map(|n| n.strip_prefix(' ')),
            ) {
                (Some(body), Some(Some(notice))) => parse_line(body, Some(notice)),
                (Some(body), None) => parse_line(body, None),
                (Some(body), Some(None)) => parse_line(body, Some("\u{fffd}")),
                (None, _) => {
                    Err("malformed signature comment: no space after the opener".to_owned())
                }
            };
            let (fields, signature) = match parsed {
                Ok(parsed) => parsed,
                Err(detail) => {
                    return FoundSignature {
                        line,
                        fields: None,
                        status: SignatureStatus::Invalid { detail },
                    }
                }
            };
            let status = match keys.iter().find(|k| k.key_id() == fields.key_id) {
                None => SignatureStatus::UnknownKey,
                Some(key) if !key.verify(&message(&fields), &signature) => {
                    SignatureStatus::Invalid {
                        detail: "the signature does not match the comment and notice".to_owned(),
                    }
                }
                Some(_) => match &current {
                    Err(detail) => SignatureStatus::CodeChanged {
                        detail: detail.clone(),
                    },
                    Ok(code) if *code == fields.code => SignatureStatus::Valid,
                    Ok(_) => SignatureStatus::CodeChanged {
                        detail: "the code differs from what was delivered".to_owned(),
                    },
                },
            };
            FoundSignature {
                line,
                fields: Some(fields),
                status,
            }
        })
        .collect()
}

/// The bytes the signature covers.
fn message(fields: &SignedFields) -> Vec<u8> {
    let mut out = MESSAGE_CONTEXT.to_vec();
    out.extend_from_slice(render_line(fields, None).as_bytes());
    out.push(b'\n');
    out.extend_from_slice(fields.notice.as_deref().unwrap_or_default().as_bytes());
    out
}

/// The comment's text after the opener, with or without the signature.
fn render_line(fields: &SignedFields, signature: Option<&[u8; 64]>) -> String {
    let mut line = format!(
        "{MARKER} {VERSION} key={} recipient={} delivery={} path={}",
        escape(&fields.key_id),
        escape(&fields.recipient),
        escape(&fields.delivery_id),
        escape(&fields.path),
    );
    if fields.notice.is_some() {
        line += " notice=1";
    }
    line += " code=";
    line += &Base64UrlUnpadded::encode_string(&fields.code);
    if let Some(signature) = signature {
        line += " sig=";
        line += &Base64UrlUnpadded::encode_string(signature);
    }
    line
}

/// Read a signature comment's text (after the opener). Rejects anything
/// that does not render back to exactly the same text.
fn parse_line(text: &str, notice: Option<&str>) -> Result<(SignedFields, [u8; 64]), String> {
    let malformed = |what: &str| format!("malformed signature comment: {what}");
    let rest = text
        .strip_prefix(MARKER)
        .and_then(|r| r.strip_prefix(' '))
        .ok_or_else(|| malformed("no marker"))?;
    let words: Vec<&str> = rest.split(' ').collect();
    if words.first() != Some(&VERSION) {
        return Err(malformed("unknown version"));
    }
    let has_notice = words.get(5) == Some(&"notice=1");
    let names: &[&str] = if has_notice {
        &[
            "key",
            "recipient",
            "delivery",
            "path",
            "notice",
            "code",
            "sig",
        ]
    } else {
        &["key", "recipient", "delivery", "path", "code", "sig"]
    };
    if words.len() != names.len() + 1 {
        return Err(malformed("wrong number of fields"));
    }
    let mut values = Vec::with_capacity(names.len());
    for (name, word) in names.iter().zip(&words[1..]) {
        let value = word
            .strip_prefix(name)
            .and_then(|w| w.strip_prefix('='))
            .ok_or_else(|| malformed(&format!("expected {name}=")))?;
        values.push(value);
    }
    let text_field = |i: usize| {
        unescape(values[i]).ok_or_else(|| malformed(&format!("bad escape in {}", names[i])))
    };
    let n = names.len();
    let code = decode_fixed::<32>(values[n - 2]).ok_or_else(|| malformed("bad code digest"))?;
    let signature = decode_fixed::<64>(values[n - 1]).ok_or_else(|| malformed("bad signature"))?;
    let notice = if has_notice {
        Some(
            notice
                .ok_or_else(|| malformed("the notice line above it is missing"))?
                .to_owned(),
        )
    } else {
        None
    };
    let fields = SignedFields {
        key_id: text_field(0)?,
        recipient: text_field(1)?,
        delivery_id: text_field(2)?,
        path: text_field(3)?,
        notice,
        code,
    };
    if render_line(&fields, Some(&signature)) != text {
        return Err(malformed("not in canonical form"));
    }
    Ok((fields, signature))
}

fn decode_fixed<const N: usize>(text: &str) -> Option<[u8; N]> {
    let mut out = [0u8; N];
    let decoded = Base64UrlUnpadded::decode(text, &mut out).ok()?;
    (decoded.len() == N).then_some(out)
}

/// Percent-escape everything but unreserved characters, so a value is one
/// word.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/:@+".contains(&b) {
            out.push(char::from(b));
        } else {
            out += &format!("%{b:02X}");
        }
    }
    out
}

fn unescape(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = value.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The comment lines of `text` (start offset, text after the opener) that
/// look like signature comments, each with the notice line above it.
/// A comment that merely mentions the fields (`key=` .. `sig=`) counts too,
/// so a damaged marker reads as an invalid signature, not as none.
fn signature_lines<'a>(
    table: &SignedTable,
    text: &'a str,
    root: &Node<'_>,
) -> Vec<(usize, &'a str, Option<&'a str>)> {
    let mut out = Vec::new();
    let mut previous: Option<&str> = None;
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        // Trailing whitespace is whitespace (formatters strip it).
        let line = raw.trim_end();
        // Everything after the opener, so that even the space after it is
        // covered: we always write exactly one.
        // A signature line whose opener was damaged is still one (it then
        // fails to parse): `rest` is the whole line.
        let comment = line.trim_start().strip_prefix(table.line_comment);
        let rest = comment.unwrap_or(line);
        // A comment that opens with the marker, or any line holding all
        // the fields (a damaged marker or opener); not a comment that
        // merely mentions the marker (found by fuzzing).
        // A line that is not a comment counts only with all the fields:
        // code that merely starts with the marker's words is not a
        // signature, and signing would not strip it (fuzzing).
        let looks_signed = (comment.is_some() && rest.trim_start().starts_with(MARKER))
            || (rest.contains(" sig=") && rest.contains(" code=") && rest.contains("key="));
        let start = offset + (line.len() - line.trim_start().len());
        // Never a line inside a string or a longer comment (a test that
        // mentions the marker, say).
        // (In a file that no longer parses, a damaged line may read as
        // inside a string: then it still counts, as a bad signature.)
        if looks_signed && (root.has_error() || line_start(root, start) != LineStart::Inside) {
            out.push((start, rest, previous));
        }
        // The notice is the nearest line above that is not blank.
        if !line.trim().is_empty() {
            previous = comment;
        }
        offset += raw.len();
    }
    out
}

/// `text` without signature comment lines (and the notice line of each).
fn strip_signatures<'a>(table: &SignedTable, text: &'a str, root: &Node<'_>) -> Cow<'a, str> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut starts = Vec::with_capacity(lines.len());
    let mut offset = 0;
    for line in &lines {
        starts.push(offset + (line.len() - line.trim_start().len()));
        offset += line.len();
    }
    // Only lines that are whole comments: never a line of a string.
    let comment_body = |i: usize| {
        let line: &'a str = lines[i];
        if line_start(root, starts[i]) != LineStart::Comment {
            return None;
        }
        line.trim_end_matches(['\n', '\r'])
            .trim_start()
            .strip_prefix(table.line_comment)
            // As `signature_lines` reads them: any spaces before the marker
            // (a comment `#  watermark-signed:...` was found but not
            // stripped, so signing left a bad signature behind; fuzzing).
            .map(str::trim_start)
    };
    let mut drop = vec![false; lines.len()];
    for i in 0..lines.len() {
        let Some(body) = comment_body(i) else {
            continue;
        };
        if body.starts_with(MARKER) {
            drop[i] = true;
            let above = (0..i).rev().find(|&j| !lines[j].trim().is_empty());
            if let Some(j) =
                above.filter(|&j| body.contains(" notice=1 ") && comment_body(j).is_some())
            {
                drop[j] = true;
            }
        }
    }
    if !drop.contains(&true) {
        return Cow::Borrowed(text);
    }
    let kept: String = lines
        .iter()
        .zip(&drop)
        .filter(|(_, d)| !**d)
        .map(|(l, _)| *l)
        .collect();
    Cow::Owned(kept)
}

/// What starts at a line's first non-blank byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineStart {
    /// A comment.
    Comment,
    /// The inside of a string or of a comment that began earlier.
    Inside,
    /// Code (or nothing).
    Code,
}

fn line_start(root: &Node<'_>, offset: usize) -> LineStart {
    let Some(node) = root.descendant_for_byte_range(offset, offset) else {
        return LineStart::Code;
    };
    // The smallest node may be a token inside a comment node (`//`).
    let mut at = Some(node);
    while let Some(n) = at {
        if n.is_extra() {
            return if n.start_byte() == offset {
                LineStart::Comment
            } else {
                LineStart::Inside
            };
        }
        if n.kind().contains("string") {
            return LineStart::Inside;
        }
        at = n.parent();
    }
    LineStart::Code
}

/// Byte offset where the comment goes: after a shebang line, an encoding
/// line, and the top-level nodes or comments the table names.
fn insertion_point(table: &SignedTable, root: &Node<'_>, text: &str) -> usize {
    let line_end = |offset: usize| {
        // Back to a character boundary (a node may end in a multi-byte
        // character).
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        text[offset..]
            .find('\n')
            .map_or(text.len(), |i| offset + i + 1)
    };
    let mut at = 0;
    if text.starts_with("#!") && !text.starts_with("#![") {
        at = line_end(0);
    }
    if table.encoding_line {
        // PEP 263: line 1 or 2.
        let mut start = 0;
        for _ in 0..2 {
            if start >= text.len() {
                break;
            }
            let end = line_end(start);
            let line = text[start..end].trim();
            if line.starts_with('#') && (line.contains("coding:") || line.contains("coding=")) {
                at = at.max(end);
            }
            start = end;
        }
    }
    let mut cursor = root.walk();
    for child in root.children(&mut cursor) {
        let kind = child.kind();
        let after = table.after_kinds.contains(&kind)
            || (child.is_extra()
                && table.after_comment_prefixes.iter().any(|p| {
                    text.get(child.start_byte()..)
                        .is_some_and(|t| t.starts_with(p))
                }));
        if after {
            at = at.max(line_end(
                child.end_byte().saturating_sub(1).max(child.start_byte()),
            ));
        } else if !child.is_extra() {
            break;
        }
    }
    // Never inside a line.
    if at > 0 && at < text.len() && !text[..at].ends_with('\n') {
        at = line_end(at);
    }
    at.min(text.len())
}

/// One pending node of the digest walk.
struct Frame<'t> {
    node: Node<'t>,
    children: Vec<Node<'t>>,
    next: usize,
    /// Finished children: (sort key for sorted runs, is an attribute, hash).
    done: Vec<(Option<&'static str>, bool, [u8; 32])>,
    verbatim: bool,
    /// End of the text covered so far.
    pos: usize,
}

/// The hash of the non-whitespace text in `text[from..to]`, if any.
fn stray(text: &str, from: usize, to: usize) -> Option<[u8; 32]> {
    let gap = text.get(from..to).filter(|_| from < to)?;
    // A backslash line continuation is whitespace too.
    let gap = gap.replace("\\\r\n", " ").replace("\\\n", " ");
    let kept: String = gap.chars().filter(|c| !c.is_whitespace()).collect();
    if kept.is_empty() {
        return None;
    }
    let mut h = hasher();
    h.update(&[0x07]);
    h.update(kept.as_bytes());
    Some(*h.finalize().as_bytes())
}

/// The normalized digest of the tree under `root` (iterative).
fn digest_tree(table: &SignedTable, root: Node<'_>, text: &str) -> [u8; 32] {
    let tree = digest_tree_logged(table, root, text, None);
    // The shebang line picks the interpreter and the encoding line how the
    // file decodes: both are part of what the code means.
    let mut h = hasher();
    h.update(&[0x06]);
    for line in header_lines(table, text) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let line = words.join(" ");
        h.update(&(line.len() as u64).to_le_bytes());
        h.update(line.as_bytes());
    }
    h.update(&tree);
    *h.finalize().as_bytes()
}

/// The shebang line and (where the language has one) the encoding line.
fn header_lines<'t>(table: &SignedTable, text: &'t str) -> Vec<&'t str> {
    let mut out = Vec::new();
    for (i, line) in text.lines().take(2).enumerate() {
        let trimmed = line.trim();
        let shebang = i == 0 && line.starts_with("#!") && !line.starts_with("#![");
        let encoding = table.encoding_line
            && trimmed.starts_with('#')
            && (trimmed.contains("coding:") || trimmed.contains("coding="));
        if shebang || encoding {
            out.push(trimmed);
        }
    }
    out
}

/// The normalized tree as text, one node per line, in hashing order
/// (before sorting): what the digest sees, for finding why two files
/// differ.
#[doc(hidden)]
pub fn code_dump(lang: Lang, bytes: &[u8]) -> Result<String, SkipReason> {
    let decoded = decode(bytes)?;
    let parsed = parse(lang, decoded.text)?;
    let mut log = String::new();
    digest_tree_logged(
        &lang.table().signed,
        parsed.tree.root_node(),
        decoded.text,
        Some(&mut log),
    );
    Ok(log)
}

fn digest_tree_logged(
    table: &SignedTable,
    root: Node<'_>,
    text: &str,
    mut log: Option<&mut String>,
) -> [u8; 32] {
    let root = resolve(table, root);
    let mut stack = vec![frame(table, root, false)];
    loop {
        let top = stack
            .last_mut()
            .expect("the stack holds the root until the end");
        if top.next < top.children.len() {
            let child = top.children[top.next];
            top.next += 1;
            // Text between children that no child covers (string content
            // in some grammars) counts too; whitespace does not.
            if let Some(hash) = stray(text, top.pos, child.start_byte()) {
                top.done.push((None, false, hash));
                if let Some(log) = log.as_deref_mut() {
                    *log += &format!("stray {:?}\n", &text[top.pos..child.start_byte()]);
                }
            }
            top.pos = top.pos.max(child.end_byte());
            let verbatim = top.verbatim;
            let parent = top.node;
            let siblings = &top.children;
            if skipped(table, child, parent, siblings, top.next - 1, verbatim, text) {
                continue;
            }
            let child = if verbatim {
                child
            } else {
                resolve(table, child)
            };
            if let Some(log) = log.as_deref_mut() {
                let depth = stack.len();
                let shown = leaf_text(table, child, text, verbatim).unwrap_or_default();
                *log += &format!(
                    "{:width$}{} {shown}\n",
                    "",
                    leaf_name(table, child),
                    width = depth * 2
                );
            }
            if let Some(parts) = split_operator(table, child, text) {
                let done = &mut stack.last_mut().expect("non-empty").done;
                for part in parts.chars() {
                    let mut h = hasher();
                    h.update(&[0x05]);
                    h.update(part.encode_utf8(&mut [0; 4]).as_bytes());
                    done.push((None, false, *h.finalize().as_bytes()));
                }
                continue;
            }
            if let Some(hash) = leaf_hash(table, child, text, verbatim) {
                let key = sort_key(table, child);
                let attr = table.attributes.contains(&child.kind());
                stack
                    .last_mut()
                    .expect("non-empty")
                    .done
                    .push((key, attr, hash));
            } else {
                let verbatim = verbatim || table.verbatim.contains(&child.kind());
                stack.push(frame(table, child, verbatim));
            }
            continue;
        }
        let mut finished = stack.pop().expect("non-empty");
        if let Some(hash) = stray(text, finished.pos, finished.node.end_byte()) {
            finished.done.push((None, false, hash));
            if let Some(log) = log.as_deref_mut() {
                *log += &format!(
                    "stray {:?}\n",
                    &text[finished.pos..finished.node.end_byte()]
                );
            }
        }
        let hash = inner_hash(table, &finished);
        match stack.last_mut() {
            Some(parent) => {
                let key = sort_key(table, finished.node);
                let attr = table.attributes.contains(&finished.node.kind());
                parent.done.push((key, attr, hash));
            }
            None => return hash,
        }
    }
}

fn frame<'t>(table: &SignedTable, node: Node<'t>, verbatim: bool) -> Frame<'t> {
    let mut children: Vec<Node<'t>> = Vec::new();
    push_children(table, node, verbatim, &mut children);
    Frame {
        pos: node.start_byte(),
        node,
        children,
        next: 0,
        done: Vec::new(),
        verbatim,
    }
}

/// `node`'s children, those of spliced kinds replaced by their own.
fn push_children<'t>(table: &SignedTable, node: Node<'t>, verbatim: bool, out: &mut Vec<Node<'t>>) {
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        if !verbatim && table.spliced.contains(&child.kind()) {
            // Spliced kinds never nest directly, so this recursion is one
            // level deep.
            push_children(table, child, verbatim, out);
        } else {
            out.push(child);
        }
    }
}

fn hasher() -> blake3::Hasher {
    blake3::Hasher::new_derive_key(DIGEST_CONTEXT)
}

fn kind_name<'a>(table: &SignedTable, node: Node<'a>) -> &'a str {
    let kind = node.kind();
    table
        .aliases
        .iter()
        .find(|(from, _)| *from == kind)
        .map_or(kind, |(_, to)| to)
}

/// The named, non-comment children of `node`.
fn named_children<'t>(node: Node<'t>) -> Vec<Node<'t>> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor)
        .filter(|c| !c.is_extra())
        .collect()
}

/// Follow transparent wrappers down to the node that is hashed.
fn resolve<'t>(table: &SignedTable, mut node: Node<'t>) -> Node<'t> {
    loop {
        let kind = node.kind();
        let parent_kind = node.parent().map(|p| p.kind());
        let named = named_children(node);
        let [only] = named.as_slice() else {
            return node;
        };
        let only = *only;
        let transparent = table.transparent.contains(&kind)
            || (table.transparent_without_comma.contains(&kind) && {
                let mut cursor = node.walk();
                let no_comma = node.children(&mut cursor).all(|c| c.kind() != ",");
                no_comma
            })
            || table
                .transparent_under
                .iter()
                .any(|(k, p)| *k == kind && Some(*p) == parent_kind)
            || table
                .transparent_over
                .iter()
                .any(|(k, children)| *k == kind && children.contains(&only.kind()))
            || (table
                .single_expression_blocks
                .iter()
                .any(|(k, p)| *k == kind && Some(*p) == parent_kind)
                && is_expression(only));
        if !transparent {
            return node;
        }
        node = only;
        // A block-like expression as a block's value parses as a statement
        // without `;` (`{ if a { b } else { c } }`).
        if node.kind().ends_with("_statement") && is_expression(node) {
            node = named_children(node)[0];
        }
    }
}

/// Whether a block's only child is its value rather than a statement:
/// an expression, or an expression statement without `;`.
fn is_expression(node: Node<'_>) -> bool {
    let kind = node.kind();
    if kind == "expression_statement" {
        let mut cursor = node.walk();
        let no_semicolon = node.children(&mut cursor).all(|c| c.kind() != ";");
        return no_semicolon && named_children(node).len() == 1;
    }
    !(kind.ends_with("_statement") || kind.ends_with("_declaration") || kind.ends_with("_item"))
}

/// Whether `child` (the `index`-th child of `parent`) adds nothing.
fn skipped(
    table: &SignedTable,
    child: Node<'_>,
    parent: Node<'_>,
    siblings: &[Node<'_>],
    index: usize,
    verbatim: bool,
    text: &str,
) -> bool {
    if child.is_extra() {
        // Comments (and line continuations).
        return true;
    }
    let kind = child.kind();
    if verbatim {
        return kind == "," && closes(siblings, index);
    }
    if !child.is_named() {
        if table.dropped_tokens.contains(&kind) {
            return true;
        }
        if kind == "," {
            return trailing_comma_drops(table, parent, siblings, index);
        }
        if kind == ";" && table.trailing_semicolon_kinds.contains(&parent.kind()) {
            return closes(siblings, index);
        }
        return false;
    }
    if table
        .empty_dropped
        .iter()
        .any(|(k, p)| *k == kind && *p == parent.kind())
        && named_children(child).is_empty()
    {
        return true;
    }
    let _ = text;
    false
}

/// A comma followed by nothing but a closing bracket drops, unless it
/// makes a one-element tuple.
fn trailing_comma_drops(
    table: &SignedTable,
    parent: Node<'_>,
    siblings: &[Node<'_>],
    index: usize,
) -> bool {
    if !closes(siblings, index) {
        return false;
    }
    if table.single_trailing_comma_kinds.contains(&parent.kind()) {
        // `(a,)` is a one-element tuple; `(a, b,)` is `(a, b)`.
        return siblings.iter().filter(|n| n.kind() == ",").count() >= 2;
    }
    true
}

/// Whether nothing but a closing bracket follows `siblings[index]`.
fn closes(siblings: &[Node<'_>], index: usize) -> bool {
    match siblings[index + 1..].iter().find(|n| !n.is_extra()) {
        None => true,
        Some(n) => !n.is_named() && matches!(n.kind(), ")" | "]" | "}" | ">" | "|"),
    }
}

/// The sort key of a node in a sorted run (its kind), if it is in one.
fn sort_key(table: &SignedTable, node: Node<'_>) -> Option<&'static str> {
    let kind = node.kind();
    let key = table.sorted_runs.iter().copied().find(|k| *k == kind)?;
    // `mod foo { .. }` holds code; only `mod foo;` lines are sorted.
    (node.child_by_field_name("body").is_none()).then_some(key)
}

/// The text of an operator token that counts character by character.
fn split_operator<'t>(table: &SignedTable, node: Node<'_>, text: &'t str) -> Option<&'t str> {
    if node.is_named() || node.child_count() > 0 || table.split_operator_chars.is_empty() {
        return None;
    }
    let raw = text.get(node.start_byte()..node.end_byte())?;
    (!raw.is_empty() && raw.chars().all(|c| table.split_operator_chars.contains(c))).then_some(raw)
}

/// The normalized text of a leaf, or `None` for a node to descend into.
fn leaf_text<'t>(
    table: &SignedTable,
    node: Node<'_>,
    text: &'t str,
    verbatim: bool,
) -> Option<Cow<'t, str>> {
    let kind = node.kind();
    let raw = text
        .get(node.start_byte()..node.end_byte())
        .unwrap_or_default();
    if !verbatim && table.joined_strings.contains(&kind) {
        return joined_string(node, text).map(Cow::Owned);
    }
    if !verbatim && table.quote_normalized.contains(&kind) {
        if table.fstring_parts.is_some() && string_opening(raw).0.contains('f') {
            // Formatters format the code inside replacement fields: walk
            // it like any code, with the literal parts normalized.
            return None;
        }
        let docstring = table.docstring.is_some_and(|(statement, strings)| {
            strings.contains(&kind)
                && node
                    .parent()
                    .is_some_and(|p| p.kind() == statement && named_children(p).len() == 1)
        });
        return Some(Cow::Owned(normalize_string(raw, docstring)));
    }
    if let Some((start, content, end)) = table.fstring_parts.filter(|_| !verbatim) {
        if kind == start {
            let (prefix, quote_len) = string_opening(raw);
            return Some(Cow::Owned(format!("{prefix}|{quote_len}")));
        }
        if kind == end {
            return Some(Cow::Owned(raw.trim().len().to_string()));
        }
        if kind == content {
            let raw_string = node
                .parent()
                .and_then(|p| p.child(0))
                .and_then(|opening| text.get(opening.start_byte()..opening.end_byte()))
                .is_some_and(|opening| string_opening(opening).0.contains('r'));
            return Some(if raw_string {
                Cow::Borrowed(raw)
            } else {
                Cow::Owned(unescape_quotes(raw))
            });
        }
    }
    if node.child_count() > 0 {
        return None;
    }
    if table.case_insensitive_numbers.contains(&kind) {
        let mut number = raw.to_ascii_lowercase();
        if table.zero_padded_floats.contains(&kind) {
            number = pad_float(&number);
        }
        return Some(Cow::Owned(number));
    }
    Some(Cow::Borrowed(raw))
}

/// The kind a leaf hashes under: joined strings as the one string they
/// make.
fn leaf_name<'a>(table: &SignedTable, node: Node<'a>) -> &'a str {
    if table.joined_strings.contains(&node.kind()) {
        table.quote_normalized.first().copied().unwrap_or("string")
    } else {
        kind_name(table, node)
    }
}

/// The one string that implicitly joined parts make, normalized, when
/// they all have the same prefix and single quotes.
fn joined_string(node: Node<'_>, text: &str) -> Option<String> {
    let mut cursor = node.walk();
    let mut head: Option<String> = None;
    let mut body = String::new();
    for part in node.named_children(&mut cursor).filter(|c| !c.is_extra()) {
        let raw = text.get(part.start_byte()..part.end_byte())?;
        let normalized = normalize_string(raw, false);
        let mut pieces = normalized.splitn(3, '|');
        let (prefix, quotes, content) = (pieces.next()?, pieces.next()?, pieces.next()?);
        let this = format!("{prefix}|{quotes}|");
        if quotes != "1" || prefix.contains('f') || head.as_ref().is_some_and(|h| *h != this) {
            return None;
        }
        head.get_or_insert(this);
        body += content;
    }
    Some(head? + &body)
}

/// The hash of a leaf, or `None` for a node to descend into.
fn leaf_hash(table: &SignedTable, node: Node<'_>, text: &str, verbatim: bool) -> Option<[u8; 32]> {
    let normalized = leaf_text(table, node, text, verbatim)?;
    let name = leaf_name(table, node);
    let mut h = hasher();
    h.update(&[0x02]);
    h.update(&(name.len() as u64).to_le_bytes());
    h.update(name.as_bytes());
    h.update(&[u8::from(node.is_named()), u8::from(node.is_missing())]);
    h.update(&(normalized.len() as u64).to_le_bytes());
    h.update(normalized.as_bytes());
    Some(*h.finalize().as_bytes())
}

/// `.5` as `0.5`, `5.` and `5.e3` as `5.0` and `5.0e3`.
fn pad_float(number: &str) -> String {
    let mut out = String::with_capacity(number.len() + 2);
    if number.starts_with('.') {
        out.push('0');
    }
    let mut chars = number.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '.' && !chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('0');
        }
    }
    out
}

/// A Python string up to what black changes: prefix case and `u`, the
/// quote character and the escapes it forces; for a docstring also the
/// indentation and trailing spaces of its lines.
fn normalize_string(raw: &str, docstring: bool) -> String {
    let (prefix, quote_len) = string_opening(raw);
    let rest = &raw[raw.find(['\'', '"']).unwrap_or(raw.len())..];
    let Some(body) = rest
        .get(quote_len..rest.len().saturating_sub(quote_len))
        .filter(|_| rest.len() >= 2 * quote_len)
    else {
        return raw.to_owned();
    };
    let mut out = format!("{prefix}|{quote_len}|");
    let unescaped = if prefix.contains('r') {
        body.to_owned()
    } else {
        unescape_quotes(body)
    };
    if docstring {
        let lines: Vec<&str> = unescaped.lines().map(str::trim).collect();
        let first = lines
            .iter()
            .position(|l| !l.is_empty())
            .unwrap_or(lines.len());
        let last = lines
            .iter()
            .rposition(|l| !l.is_empty())
            .map_or(first, |i| i + 1);
        out += &lines[first..last.max(first)].join("\n");
    } else {
        out += &unescaped;
    }
    out
}

/// A string's prefix letters, normalized (any order and case, `u`
/// dropped: it means nothing in Python 3), and its quote length.
fn string_opening(raw: &str) -> (String, usize) {
    let quote_at = raw.find(['\'', '"']).unwrap_or(raw.len());
    let mut letters: Vec<char> = raw[..quote_at]
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .filter(|c| *c != 'u')
        .collect();
    letters.sort_unstable();
    let rest = &raw[quote_at..];
    let quote_len = if rest.starts_with("\"\"\"") || rest.starts_with("'''") {
        3
    } else {
        1
    };
    (letters.into_iter().collect(), quote_len)
}

/// A non-raw string body up to the escapes black chooses: quote escapes
/// dropped, hex escapes in lower case, character names in upper case.
fn unescape_quotes(body: &str) -> String {
    let mut s = String::with_capacity(body.len());
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            s.push(c);
            continue;
        }
        match chars.next() {
            Some(q @ ('\'' | '"')) => s.push(q),
            Some(e @ ('x' | 'u' | 'U')) => {
                let digits = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                s.push('\\');
                s.push(e);
                for _ in 0..digits {
                    if let Some(d) = chars.next_if(char::is_ascii_hexdigit) {
                        s.push(d.to_ascii_lowercase());
                    }
                }
            }
            Some('N') if chars.peek() == Some(&'{') => {
                s.push_str("\\N");
                for d in chars.by_ref() {
                    s.push(d.to_ascii_uppercase());
                    if d == '}' {
                        break;
                    }
                }
            }
            Some(other) => {
                s.push('\\');
                s.push(other);
            }
            None => s.push('\\'),
        }
    }
    s
}

/// The hash of an inner node from its finished children: sorted runs and
/// sorted children sorted, attributes bound to the item after them.
fn inner_hash(table: &SignedTable, frame: &Frame<'_>) -> [u8; 32] {
    let kind = frame.node.kind();
    let mut units: Vec<(Option<&'static str>, [u8; 32])> = Vec::with_capacity(frame.done.len());
    let mut attrs: Vec<[u8; 32]> = Vec::new();
    for &(key, attr, hash) in &frame.done {
        if attr && !frame.verbatim {
            attrs.push(hash);
            continue;
        }
        if attrs.is_empty() {
            units.push((key, hash));
        } else {
            let mut h = hasher();
            h.update(&[0x04]);
            for a in attrs.drain(..) {
                h.update(&a);
            }
            h.update(&hash);
            units.push((key, *h.finalize().as_bytes()));
        }
    }
    // Attributes with no item after them (a file ending in one).
    units.extend(attrs.into_iter().map(|a| (None, a)));
    if !frame.verbatim && table.sorted_children.contains(&kind) {
        units.sort_by_key(|u| u.1);
    } else if !frame.verbatim {
        let mut i = 0;
        while i < units.len() {
            let Some(key) = units[i].0 else {
                i += 1;
                continue;
            };
            let end = units[i..]
                .iter()
                .position(|u| u.0 != Some(key))
                .map_or(units.len(), |p| i + p);
            units[i..end].sort_by_key(|u| u.1);
            i = end;
        }
    }
    let name = kind_name(table, frame.node);
    let mut h = hasher();
    h.update(&[0x01]);
    h.update(&(name.len() as u64).to_le_bytes());
    h.update(name.as_bytes());
    h.update(&(units.len() as u64).to_le_bytes());
    for (_, hash) in &units {
        h.update(hash);
    }
    *h.finalize().as_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(lang: Lang, text: &str) -> [u8; 32] {
        code_digest(lang, text.as_bytes()).unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }

    fn same(lang: Lang, a: &str, b: &str) {
        assert_eq!(digest(lang, a), digest(lang, b), "{a:?} vs {b:?}");
    }

    fn differ(lang: Lang, a: &str, b: &str) {
        assert_ne!(digest(lang, a), digest(lang, b), "{a:?} vs {b:?}");
    }

    #[test]
    fn python_digest_ignores_what_black_changes() {
        let py = Lang::Python;
        same(py, "x = 'a'\n", "x = \"a\"\n");
        same(py, "x = 'it\\'s'\n", "x = \"it's\"\n");
        same(py, "x = U'a'\n", "x = 'a'\n");
        same(py, "x = 0XFF + 1E5\n", "x = 0xff + 1e5\n");
        same(
            py,
            "x = .5 + 5. + 5.E3 + 1.J\n",
            "x = 0.5 + 5.0 + 5.0e3 + 1.0j\n",
        );
        same(
            py,
            "x = '\\x1B\\uABCD\\N{bullet}'\n",
            "x = '\\x1b\\uabcd\\N{BULLET}'\n",
        );
        same(py, "a = (b) = c\n", "a = b = c\n");
        same(py, "x = Rf'{a}'\n", "x = fr\"{a}\"\n");
        same(py, "x = str,\n", "x = (str,)\n");
        same(py, "x = f'{a[:b]}\\'{ c }'\n", "x = f\"{a[: b]}'{c}\"\n");
        same(py, "x = f'{a or \"\"}'\n", "x = f\"{a or ''}\"\n");
        same(py, "x = ('a' \"b'\" 'c')\n", "x = 'ab\\'c'\n");
        same(
            py,
            "def f(e: type[B] | tuple[type[B], ...] = E): pass\n",
            "def f(e: (type[B] | tuple[type[B], ...]) = E): pass\n",
        );
        same(py, "f(a, b,)\n", "f(\n    a,\n    b\n)\n");
        same(py, "f(a,)\n", "f(a)\n");
        same(py, "return_ = (1)\n", "return_ = 1\n");
        same(
            py,
            "for (a, b) in c:\n    pass\n",
            "for a, b in c:\n    pass\n",
        );
        same(py, "class A():\n    pass\n", "class A:\n    pass\n");
        same(py, "a = 1; b = 2\n", "a = 1\nb = 2\n");
        same(py, "x = [  # c\n 1, 2]\n", "x = [1, 2]\n");
        same(
            py,
            "def f():\n    '''  Doc.  \n\n      More.   '''\n",
            "def f():\n    \"\"\"Doc.\n\n    More.\"\"\"\n",
        );
        same(py, "x = (a +\n     b)\n", "x = a + b\n");
        same(py, "x = a + \\\n    b\n", "x = a + b\n");
    }

    #[test]
    fn python_digest_sees_what_changes_meaning() {
        let py = Lang::Python;
        differ(py, "x = 'a'\n", "x = 'b'\n");
        differ(py, "x = (1,)\n", "x = (1)\n");
        differ(py, "x[a,]\n", "x[a]\n");
        differ(py, "x = a, = b\n", "x = a = b\n");
        differ(py, "f(a)(b)\n", "f(a, b)\n");
        differ(py, "f((a, b))\n", "f(a, b)\n");
        differ(py, "x = (a + b) * c\n", "x = a + b * c\n");
        differ(py, "x = r'\\''\n", "x = '\\''\n");
        differ(py, "x = b'a'\n", "x = 'a'\n");
        differ(py, "x = 'a\\\\'\n", "x = 'a'\n");
        differ(py, "if a:\n    b\n    c\n", "if a:\n    b\nc\n");
        differ(py, "f()\n", "f\n");
        differ(py, "x = 'a b'\n", "x = 'a  b'\n");
        differ(py, "x = 0.5\n", "x = 5.0\n");
        differ(py, "x = 'a' r'\\n'\n", "x = 'a\\n'\n");
        differ(py, "x = 'a' 'b'\n", "x = 'a' 'c'\n");
        differ(py, "x = f'a{b}c'\n", "x = f'a{b}d'\n");
        differ(py, "x = f'a{b}c'\n", "x = f'a{c}c'\n");
        differ(py, "x = rf'\\'{b}'\n", "x = f'\\'{b}'\n");
        differ(py, "x = f'a{b:>3}'\n", "x = f'a{b:>4}'\n");
        differ(py, "x = f'a{b!r}'\n", "x = f'a{b!s}'\n");
        differ(
            py,
            "def f(e: list[int]): pass\n",
            "def f(e: list[str]): pass\n",
        );
        differ(py, "x: a[b] = 1\n", "x: a[b, c] = 1\n");
        differ(py, "(a,) = b\n", "(a) = b\n");
        differ(py, "x = '\\x1b'\n", "x = '\\x1c'\n");
        differ(py, "x = r'\\x1b'\n", "x = r'\\x1B'\n");
    }

    #[test]
    fn rust_digest_ignores_what_rustfmt_changes() {
        let rs = Lang::Rust;
        same(
            rs,
            "use b::c;\nuse a::{y, x};\nfn f() {}\n",
            "use a::{x, y};\nuse b::c;\n\nfn f() {}\n",
        );
        same(rs, "mod b;\nmod a;\n", "mod a;\nmod b;\n");
        same(rs, "fn f() { g(a, b,) }\n", "fn f() {\n    g(a, b)\n}\n");
        same(
            rs,
            "fn f() -> u8 { return 1 }\n",
            "fn f() -> u8 {\n    return 1;\n}\n",
        );
        same(
            rs,
            "fn f() { let x = ((a)); }\n",
            "fn f() { let x = (a); }\n",
        );
        same(
            rs,
            "fn f() { match x { A => g(), B => { h() } } }\n",
            "fn f() { match x { A => g(), B => h(), } }\n",
        );
        same(
            rs,
            "#[cfg(x)]\nuse b;\nuse a;\n",
            "use a;\n#[cfg(x)]\nuse b;\n",
        );
        same(
            rs,
            "struct S { a: u8, b: u8, }\n",
            "struct S { a: u8, b: u8 }\n",
        );
        same(
            rs,
            "fn f() { g(|c| if c { 1 } else { 2 }); }\n",
            "fn f() { g(|c| { if c { 1 } else { 2 } }); }\n",
        );
        same(
            rs,
            "#[derive(A, B,)]\nstruct S;\n",
            "#[derive(A, B)]\nstruct S;\n",
        );
        same(rs, "fn f() { m!(a, b,); }\n", "fn f() { m!(a, b); }\n");
        same(
            rs,
            "fn f() { m!(Vec<Vec<u8>>); }\n",
            "fn f() { m!(Vec<Vec<u8> >); }\n",
        );
        same(
            rs,
            "macro_rules! m { () => {} }\n",
            "macro_rules! m {\n    () => {};\n}\n",
        );
    }

    #[test]
    fn rust_digest_sees_what_changes_meaning() {
        let rs = Lang::Rust;
        differ(rs, "fn f() { a(); b(); }\n", "fn f() { b(); a(); }\n");
        differ(rs, "const S: &str = \"a\";\n", "const S: &str = \"b\";\n");
        differ(
            rs,
            "const S: &str = \"a\\n\";\n",
            "const S: &str = \"a\\t\";\n",
        );
        differ(
            rs,
            "const S: &str = r#\"a\"#;\n",
            "const S: &str = r#\"b\"#;\n",
        );
        differ(rs, "fn f() -> u8 { 1 }\n", "fn f() { 1; }\n");
        differ(
            rs,
            "fn f() { g(|c| { h(c); }); }\n",
            "fn f() { g(|c| h(c)); }\n",
        );
        differ(
            rs,
            "fn f() { let x = (a,); }\n",
            "fn f() { let x = (a); }\n",
        );
        differ(rs, "type T = (u8,);\n", "type T = (u8);\n");
        differ(rs, "fn f() { (a.b)(); }\n", "fn f() { a.b(); }\n");
        differ(rs, "fn f() { m!(a b); }\n", "fn f() { m!(a, b); }\n");
        differ(rs, "fn f() { m!(a && b); }\n", "fn f() { m!(a & &b); }\n");
        differ(
            rs,
            "#[cfg(x)]\nuse b;\nuse a;\n",
            "#[cfg(x)]\nuse a;\nuse b;\n",
        );
        differ(
            rs,
            "struct S { a: u8, b: u16 }\n",
            "struct S { b: u16, a: u8 }\n",
        );
        differ(
            rs,
            "mod a { fn x() {} }\nmod b {}\n",
            "mod b {}\nmod a { fn x() {} }\n",
        );
    }

    fn roundtrip(lang: Lang, src: &str, notice: Option<&str>) -> Vec<u8> {
        let key = OwnerKey::from_seed([3; 32]);
        let r = Recipient::new("acme corp").expect("id");
        let signed =
            sign_source(lang, src.as_bytes(), &key, &r, "d-1", "src/a b.x", notice).expect("signs");
        let found = verify_source(lang, &signed, &[key.public_key()]);
        assert_eq!(found.len(), 1, "{}", String::from_utf8_lossy(&signed));
        assert_eq!(found[0].status, SignatureStatus::Valid);
        let fields = found[0].fields.as_ref().expect("fields");
        assert_eq!(fields.recipient, "acme corp");
        assert_eq!(fields.path, "src/a b.x");
        assert_eq!(fields.notice.as_deref(), notice);
        // Signing again replaces the comment: same bytes.
        let again =
            sign_source(lang, &signed, &key, &r, "d-1", "src/a b.x", notice).expect("signs");
        assert_eq!(again, signed);
        signed
    }

    #[test]
    fn signed_comments_go_after_headers_and_verify() {
        let py = roundtrip(
            Lang::Python,
            "#!/usr/bin/env python\n# -*- coding: utf-8 -*-\n\"\"\"Doc.\"\"\"\nx = 1\n",
            Some("Licensed to ACME under agreement #123"),
        );
        let py = String::from_utf8(py).expect("utf-8");
        let lines: Vec<&str> = py.lines().collect();
        assert_eq!(lines[1], "# -*- coding: utf-8 -*-");
        assert_eq!(lines[2], "# Licensed to ACME under agreement #123");
        assert!(lines[3].starts_with("# watermark-signed: v1 key="));
        let rs = roundtrip(
            Lang::Rust,
            "//! Crate docs.\n#![no_std]\n\nuse a::b;\nfn f() {}\n",
            None,
        );
        let rs = String::from_utf8(rs).expect("utf-8");
        let lines: Vec<&str> = rs.lines().collect();
        assert_eq!(lines[1], "#![no_std]");
        assert!(lines[2].starts_with("// watermark-signed: v1 "));
        let crlf = roundtrip(Lang::Python, "x = 1\r\ny = 2\r\n", None);
        assert!(!String::from_utf8(crlf)
            .expect("utf-8")
            .replace("\r\n", "")
            .contains('\n'));
        roundtrip(Lang::Rust, "", None);
        roundtrip(Lang::Python, "x = 1", Some("n"));
    }

    #[test]
    fn odd_files_sign_and_verify_without_panics() {
        let key = OwnerKey::from_seed([3; 32]);
        let r = Recipient::new("acme").expect("id");
        let keys = [key.public_key()];
        for (lang, src) in [
            (Lang::Rust, "//! Docs — end é\n#![no_std] // é\nfn f() {}"),
            (Lang::Rust, "#![allow(x)]"),
            (
                Lang::Rust,
                "#!/usr/bin/env run-cargo-script\nfn main() {}\n",
            ),
            (Lang::Rust, "\u{feff}fn f() {}\r\n"),
            (Lang::Python, "#!/bin/py\n# coding: latin-1\nx = 'é'"),
            (Lang::Python, "\u{feff}x = 1\r\n"),
            (Lang::Python, ""),
            (Lang::Python, "# watermark-signed: v1 key=bogus\nx = 1\n"),
            (
                Lang::Python,
                "# a comment about watermark-signed: comments\nx = 1\n",
            ),
            // Found by fuzzing: more than one space before the marker.
            (
                Lang::Python,
                "# License.\n#  watermark-signed:ns in binary form\nx = 1\n",
            ),
            (Lang::Rust, "//    watermark-signed: v1 key=x\nfn f() {}\n"),
            (Lang::Rust, "m! {\n    watermark-signed: x\n}\n"),
            (Lang::Python, "d = {\n    watermark-signed: 1,\n}\n"),
        ] {
            let signed = sign_source(lang, src.as_bytes(), &key, &r, "d", "p", Some("n"))
                .unwrap_or_else(|e| panic!("{src:?}: {e}"));
            let found = verify_source(lang, &signed, &keys);
            assert_eq!(
                found.len(),
                1,
                "{src:?} -> {}",
                String::from_utf8_lossy(&signed)
            );
            assert_eq!(found[0].status, SignatureStatus::Valid, "{src:?}");
            if src.starts_with("//! Docs") {
                let text = String::from_utf8(signed).expect("utf-8");
                assert!(
                    text.starts_with(
                        "//! Docs — end é\n#![no_std] // é\n// n\n// watermark-signed:"
                    ),
                    "{text}"
                );
            }
        }
        // Not source at all: no panic, nothing signed.
        assert!(verify_source(Lang::Rust, b"\xff\xfe\x00binary", &keys).is_empty());
        // A string that mentions the marker is code, never a signature.
        let quoted = "x = '''\n# watermark-signed: v1 key=a code=b sig=c\n'''\n";
        let signed =
            sign_source(Lang::Python, quoted.as_bytes(), &key, &r, "d", "p", None).expect("signs");
        let text = String::from_utf8(signed.clone()).expect("utf-8");
        assert!(text.ends_with(quoted), "the string was kept: {text}");
        let found = verify_source(Lang::Python, &signed, &keys);
        assert_eq!(found.len(), 1, "only the real comment: {found:?}");
        assert_eq!(found[0].status, SignatureStatus::Valid);
        assert!(sign_source(Lang::Rust, b"fn (", &key, &r, "d", "p", None).is_err());
    }

    #[test]
    fn tampering_is_told_apart() {
        let key = OwnerKey::from_seed([3; 32]);
        let r = Recipient::new("acme").expect("id");
        let src = "def f(a):\n    return a + 1\n";
        let signed = sign_source(
            Lang::Python,
            src.as_bytes(),
            &key,
            &r,
            "d",
            "f.py",
            Some("N"),
        )
        .expect("signs");
        let text = String::from_utf8(signed).expect("utf-8");
        let keys = [key.public_key()];
        let status = |t: &str| {
            let found = verify_source(Lang::Python, t.as_bytes(), &keys);
            assert_eq!(found.len(), 1, "{t}");
            found[0].status.clone()
        };
        assert_eq!(status(&text), SignatureStatus::Valid);
        assert!(matches!(
            status(&text.replace("a + 1", "a + 2")),
            SignatureStatus::CodeChanged { .. }
        ));
        assert!(matches!(
            status(&text.replace("a + 1", "a +")),
            SignatureStatus::CodeChanged { .. }
        ));
        assert_eq!(
            status(&text.replace("a + 1", "a+1  # hi")),
            SignatureStatus::Valid
        );
        assert!(matches!(
            status(&text.replace("# N\n", "# M\n")),
            SignatureStatus::Invalid { .. }
        ));
        assert!(matches!(
            status(&text.replace("recipient=acme", "recipient=acne")),
            SignatureStatus::Invalid { .. }
        ));
        assert!(matches!(
            status(&text.replace("watermark-signed", "watermark-signet")),
            SignatureStatus::Invalid { .. }
        ));
        let other = [OwnerKey::from_seed([4; 32]).public_key()];
        let found = verify_source(Lang::Python, text.as_bytes(), &other);
        assert_eq!(found[0].status, SignatureStatus::UnknownKey);
        assert!(verify_source(Lang::Python, src.as_bytes(), &keys).is_empty());
    }
}
