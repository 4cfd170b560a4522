//! Behaviour-preserving source-code watermarking and blind leak tracing.
//!
//! Every recipient's copy of a source tree carries a fingerprint in choices
//! that change no behaviour: whether one blank line separates two
//! statements, where rustfmt and black keep either, and the order of two
//! neighbouring items that may stand in either order. A leaked copy is traced
//! back from its text alone: each site is found by a keyed hash of its
//! content, its value is compared with every candidate's codeword, and a
//! candidate is named only when the chance that an innocent one scores as
//! high is below a printed bound.
//!
//! ```
//! use watermark_core::{score, tag_source, CodeParams, Evidence, Lang, OwnerKey, Recipient, TraceParams};
//!
//! // A small Rust file: 60 functions of 5 statements, a blank line here and there.
//! let mut src = String::new();
//! for f in 0..60 {
//!     src += &format!("fn f{f}(x: u32) -> u32 {{\n");
//!     for s in 0..5 {
//!         src += &format!("    let v{s} = x * {} + {s};\n", f * 7 + s);
//!         if (f + s) % 3 == 0 {
//!             src += "\n";
//!         }
//!     }
//!     src += "    v0 + v4\n}\n\n";
//! }
//!
//! let key = OwnerKey::from_seed([42; 32]); // OwnerKey::generate() in real use
//! let vendors: Vec<Recipient> = ["acme", "globex", "initech"]
//!     .iter()
//!     .map(|id| Recipient::new(id).unwrap())
//!     .collect();
//! let params = CodeParams::default();
//! let copy = tag_source(Lang::Rust, src.as_bytes(), &key, &vendors[1], &params);
//!
//! // Trace the leaked copy blind, against every candidate.
//! let mut evidence = Evidence::new();
//! evidence.scan_source(Lang::Rust, &copy.output, &key).unwrap();
//! let verdict = score(&evidence, &key, &vendors, &TraceParams::default());
//! assert_eq!(verdict.accused.len(), 1);
//! assert_eq!(verdict.accused[0].recipient, "globex");
//! assert!(verdict.accused[0].log10_p_value < -9.0);
//!
//! // The original names nobody.
//! let mut clean = Evidence::new();
//! clean.scan_source(Lang::Rust, src.as_bytes(), &key).unwrap();
//! assert!(score(&clean, &key, &vendors, &TraceParams::default()).accused.is_empty());
//! ```
#![deny(missing_docs)]

pub mod channel;
pub mod code;
mod embed;
mod error;
mod evidence;
pub mod input;
mod key;
pub mod lang;
pub mod provenance;
mod recipient;
mod report;
pub mod signed;
mod span;
mod syntax;
mod trace;
mod tree;

pub use channel::{ChannelId, Refusal, Site, Survival};
pub use code::prf::Locator;
pub use code::tardos::BiasDesign;
pub use embed::{
    render_source, rendered_value, tag_source, CodeParams, TaggedFile, DEFAULT_DENSITY_SLACK,
};
pub use error::{EditError, KeyError, RecipientError, TreeError};
pub use evidence::{Evidence, Tally, EVIDENCE_FORMAT};
pub use key::{OwnerKey, PublicKey};
pub use lang::Lang;
pub use provenance::{
    DeliveryRecord, Envelope, LedgerEntry, LedgerFault, LedgerReport, ProvenanceError, Receipt,
    SubjectStatus, VerifiedReceipt,
};
pub use recipient::Recipient;
pub use report::{FileReport, FileStatus, NoProgress, Progress, SkipReason, TextPosition};
pub use span::{ByteSpan, Edit, EditPlan};
pub use syntax::MAX_FILE_BYTES;
pub use trace::{score, CandidateScore, TraceParams, Verdict, LOOK_ALL, LOOK_TAGGABLE, WEIGHT_ALL};
pub use tree::{
    check_tag_paths, inspect_tree, scan_tree, tag_tree, tag_tree_signed, verify_tree,
    ChannelCapacity, ChannelRefusal, Delivered, FileInspection, FileSignatures, SignOptions,
    TagReport, Verbatim, WalkOptions,
};
