//! Evidence: per-locator counts of observed values. Evidence from several
//! files, shards or machines merges by addition.

use std::collections::BTreeMap;

use crate::channel::{all_sites, ChannelId};
use crate::code::prf::{Locator, Prf};
use crate::key::OwnerKey;
use crate::lang::Lang;
use crate::report::SkipReason;
use crate::syntax::{decode_for_reading, index, parse};

/// How often each value was seen at one locator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    /// The channel of the locator.
    pub channel: ChannelId,
    /// Sites showing value 0.
    pub zeros: u32,
    /// Sites showing value 1.
    pub ones: u32,
}

impl Tally {
    /// The majority value; `None` on a tie (an erasure).
    pub fn majority(self) -> Option<bool> {
        majority((self.zeros, self.ones))
    }
}

/// The majority of `(zeros, ones)` reads; `None` on a tie.
pub(crate) fn majority((zeros, ones): (u32, u32)) -> Option<bool> {
    match ones.cmp(&zeros) {
        std::cmp::Ordering::Greater => Some(true),
        std::cmp::Ordering::Less => Some(false),
        std::cmp::Ordering::Equal => None,
    }
}

/// Add `(zeros, ones)` reads to a count (saturating).
pub(crate) fn add_reads(count: &mut (u32, u32), (zeros, ones): (u32, u32)) {
    count.0 = count.0.saturating_add(zeros);
    count.1 = count.1.saturating_add(ones);
}

/// Whether a channel's values in one file look normalized away (at least
/// [`FLATTENED_MIN_SITES`] sites, at most one in twenty differing from the
/// rest: a leaker removed every blank line, say). Such a channel is not
/// read in that file: it would add only noise to the right recipient's
/// score. The rule looks at the suspect text alone, never at a codeword, so
/// an innocent recipient's score keeps its exact null distribution.
pub(crate) fn flattened(sites: usize, ones: usize) -> bool {
    let minority = ones.min(sites - ones);
    sites >= FLATTENED_MIN_SITES && minority * 20 <= sites
}

/// See [`flattened`]. A tagged file shows each value with probability 1/2
/// per site, so with 8 sites it loses a channel by chance 1 time in 128.
pub(crate) const FLATTENED_MIN_SITES: usize = 8;

/// Observations from suspect code, keyed by locator.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Evidence {
    tallies: BTreeMap<Locator, Tally>,
    /// Each distinct suspect file's own reads, by the keyed digest of its
    /// text: what a look at that file alone sees (see `crate::trace`).
    files: BTreeMap<[u8; 16], FileReads>,
    files_scanned: u64,
    sites_observed: u64,
}

/// The reads of one suspect file (or of every copy of one text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileReads {
    /// Where it was read: the first name in byte order when the same text
    /// was read under several.
    pub(crate) name: String,
    /// Whether tagging edits such a file: not when it is generated or
    /// reads its own line numbers (then it was delivered as it was, and
    /// its sites carry nobody's codeword).
    pub(crate) taggable: bool,
    /// Its reads, by locator (channels as in the evidence's tallies).
    pub(crate) reads: BTreeMap<Locator, (u32, u32)>,
}

impl FileReads {
    fn absorb(&mut self, other: &FileReads) {
        if other.name < self.name {
            self.name.clone_from(&other.name);
        }
        for (locator, &reads) in &other.reads {
            add_reads(self.reads.entry(*locator).or_insert((0, 0)), reads);
        }
    }
}

impl Evidence {
    /// Empty evidence.
    pub fn new() -> Self {
        Self::default()
    }

    /// Record one observed site.
    pub fn record(&mut self, channel: ChannelId, locator: Locator, value: bool) {
        let tally = self.tallies.entry(locator).or_insert(Tally {
            channel,
            zeros: 0,
            ones: 0,
        });
        if value {
            tally.ones = tally.ones.saturating_add(1);
        } else {
            tally.zeros = tally.zeros.saturating_add(1);
        }
        self.sites_observed += 1;
    }

    /// Read every site of one source file (blind: from the text alone).
    /// Files with syntax errors are read too; only well-formed regions
    /// yield sites. Returns the number of sites read.
    pub fn scan_source(
        &mut self,
        lang: Lang,
        bytes: &[u8],
        key: &OwnerKey,
    ) -> Result<usize, SkipReason> {
        self.scan_with(lang, bytes, &Prf::new(key), "")
    }

    /// [`Evidence::scan_source`] of a file read under `name` (a path in the
    /// suspect, for reports).
    pub fn scan_named(
        &mut self,
        lang: Lang,
        bytes: &[u8],
        key: &OwnerKey,
        name: &str,
    ) -> Result<usize, SkipReason> {
        self.scan_with(lang, bytes, &Prf::new(key), name)
    }

    /// One file's evidence and its report status, as a tree or archive
    /// scan gives them: `Processed` with the sites read, or why not.
    pub(crate) fn of_file(
        lang: Lang,
        bytes: &[u8],
        prf: &Prf,
        path: &std::path::Path,
    ) -> (Evidence, crate::report::FileStatus) {
        let mut evidence = Evidence::new();
        let status = match evidence.scan_with(lang, bytes, prf, &path.to_string_lossy()) {
            Ok(sites) => crate::report::FileStatus::Processed {
                sites,
                edits: 0,
                syntax_error: None,
            },
            Err(reason) => crate::report::FileStatus::Skipped(reason),
        };
        (evidence, status)
    }

    pub(crate) fn scan_with(
        &mut self,
        lang: Lang,
        bytes: &[u8],
        prf: &Prf,
        name: &str,
    ) -> Result<usize, SkipReason> {
        let text = decode_for_reading(bytes)?;
        let parsed = parse(lang, &text)?;
        let index = index(&parsed);
        let sites = all_sites(&parsed, &index, prf);
        // The rules by which tagging leaves a whole file as it was, read
        // from the suspect text (which tagging does not change there).
        let taggable =
            lang.generated_marker(text.as_bytes()).is_none() && parsed.line_observer().is_none();
        let mut file = FileReads {
            name: name.to_owned(),
            taggable,
            reads: BTreeMap::new(),
        };
        let mut read = 0;
        for id in ChannelId::ALL {
            let of = || sites.iter().filter(move |s| s.channel == id);
            if flattened(of().count(), of().filter(|s| s.value).count()) {
                continue;
            }
            for site in of() {
                self.record(site.channel, site.locator, site.value);
                let one = if site.value { (0, 1) } else { (1, 0) };
                add_reads(file.reads.entry(site.locator).or_insert((0, 0)), one);
                read += 1;
            }
        }
        self.files_scanned += 1;
        if !file.reads.is_empty() {
            let id = prf.file_id(lang.name(), text.as_bytes());
            match self.files.entry(id) {
                std::collections::btree_map::Entry::Vacant(slot) => {
                    slot.insert(file);
                }
                std::collections::btree_map::Entry::Occupied(mut slot) => {
                    slot.get_mut().absorb(&file)
                }
            }
        }
        Ok(read)
    }

    /// Add another body of evidence to this one.
    pub fn merge(&mut self, other: &Evidence) {
        for (locator, tally) in &other.tallies {
            let mine = self.tallies.entry(*locator).or_insert(Tally {
                channel: tally.channel,
                zeros: 0,
                ones: 0,
            });
            mine.zeros = mine.zeros.saturating_add(tally.zeros);
            mine.ones = mine.ones.saturating_add(tally.ones);
        }
        for (id, file) in &other.files {
            match self.files.get_mut(id) {
                Some(mine) => mine.absorb(file),
                None => {
                    self.files.insert(*id, file.clone());
                }
            }
        }
        self.files_scanned = self.files_scanned.saturating_add(other.files_scanned);
        self.sites_observed = self.sites_observed.saturating_add(other.sites_observed);
    }

    /// Each distinct file's own reads, in digest order.
    pub(crate) fn files(&self) -> impl Iterator<Item = &FileReads> + '_ {
        self.files.values()
    }

    /// Every locator with its tally, in locator order.
    pub fn tallies(&self) -> impl Iterator<Item = (Locator, Tally)> + '_ {
        self.tallies.iter().map(|(l, t)| (*l, *t))
    }

    /// Distinct locators with a majority value (ties are erasures).
    pub fn positions_observed(&self) -> usize {
        self.tallies
            .values()
            .filter(|t| t.majority().is_some())
            .count()
    }

    /// Source files read.
    pub fn files_scanned(&self) -> u64 {
        self.files_scanned
    }

    /// Sites read, counting repeats of a locator.
    pub fn sites_observed(&self) -> u64 {
        self.sites_observed
    }

    /// The evidence as a self-describing JSON document (one line per
    /// locator), tied to the owner key it was read with and authenticated
    /// by a MAC under that key. Locators and file digests are keyed
    /// hashes: the file reveals neither the code nor the key, only the
    /// suspect's file names (as the scan gave them) and counts.
    pub fn to_json(&self, key: &OwnerKey) -> String {
        let body = self.json_body(&key.key_id());
        let mac = blake3::keyed_hash(&key.evidence_mac_key(), body.as_bytes());
        format!("{body},\n\"mac\":\"{}\"}}\n", mac.to_hex())
    }

    /// Every field but the MAC, as `to_json` writes them: what the MAC
    /// covers. Tallies in locator order, so the text depends only on the
    /// evidence.
    fn json_body(&self, key_id: &str) -> String {
        let mut out = format!(
            "{{\"format\":\"{EVIDENCE_FORMAT}\",\"key_id\":{},\"files_scanned\":{},\"sites_observed\":{},\"tallies\":[",
            serde_json::Value::from(key_id),
            self.files_scanned,
            self.sites_observed
        );
        for (i, (locator, tally)) in self.tallies.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out += &format!(
                "\n[\"{}\",\"{}\",{},{}]",
                locator.to_hex(),
                tally.channel.name(),
                tally.zeros,
                tally.ones
            );
        }
        out += "\n],\"files\":[";
        for (i, (id, file)) in self.files.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let id: String = id.iter().map(|b| format!("{b:02x}")).collect();
            out += &format!(
                "\n[\"{id}\",{},{},[",
                serde_json::Value::from(file.name.as_str()),
                file.taggable
            );
            for (j, (locator, (zeros, ones))) in file.reads.iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                out += &format!("[\"{}\",{zeros},{ones}]", locator.to_hex());
            }
            out += "]]";
        }
        out += "\n]";
        out
    }

    /// Read a document [`Evidence::to_json`] wrote with one of `keys`, and
    /// check its MAC; returns the evidence and the id of its key. A file
    /// edited after it was written (a count changed, a locator dropped or
    /// added) is refused: a shard cannot hide a recipient's evidence.
    pub fn from_json(bytes: &[u8], keys: &[OwnerKey]) -> Result<(Evidence, String), String> {
        /// `(locator, zeros, ones)` of one file.
        type Read = (String, u32, u32);
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Doc {
            format: String,
            key_id: String,
            files_scanned: u64,
            sites_observed: u64,
            tallies: Vec<(String, String, u32, u32)>,
            files: Vec<(String, String, bool, Vec<Read>)>,
            // Optional here only so that a v1 file (no MAC) is told by its
            // format; a v2 file without one is refused below.
            mac: Option<String>,
        }
        let doc: Doc =
            serde_json::from_slice(bytes).map_err(|e| format!("not evidence JSON: {e}"))?;
        if doc.format != EVIDENCE_FORMAT {
            return Err(format!(
                "evidence format {:?} is not {EVIDENCE_FORMAT:?} (v1 files carry no MAC, v2 \
                 files no per-file reads: emit them again with this version)",
                doc.format
            ));
        }
        let mac = doc.mac.ok_or_else(|| "no MAC field".to_owned())?;
        let key = keys
            .iter()
            .find(|k| k.key_id() == doc.key_id)
            .ok_or_else(|| format!("evidence read with key {}, which was not given", doc.key_id))?;
        let mut evidence = Evidence {
            tallies: BTreeMap::new(),
            files: BTreeMap::new(),
            files_scanned: doc.files_scanned,
            sites_observed: doc.sites_observed,
        };
        for (locator, channel, zeros, ones) in doc.tallies {
            let locator =
                Locator::from_hex(&locator).ok_or_else(|| format!("bad locator {locator:?}"))?;
            let channel = ChannelId::ALL
                .into_iter()
                .find(|c| c.name() == channel)
                .ok_or_else(|| format!("unknown channel {channel:?}"))?;
            if evidence
                .tallies
                .insert(
                    locator,
                    Tally {
                        channel,
                        zeros,
                        ones,
                    },
                )
                .is_some()
            {
                return Err(format!("locator {} listed twice", locator.to_hex()));
            }
        }
        // Told after the MAC: an edited file is refused as edited.
        let mut stray = None;
        for (id, name, taggable, reads) in doc.files {
            let id = Locator::from_hex(&id)
                .ok_or_else(|| format!("bad file digest {id:?}"))?
                .0;
            let mut file = FileReads {
                name,
                taggable,
                reads: BTreeMap::new(),
            };
            for (locator, zeros, ones) in reads {
                let locator = Locator::from_hex(&locator)
                    .ok_or_else(|| format!("bad locator {locator:?}"))?;
                if !evidence.tallies.contains_key(&locator) {
                    stray = Some(format!(
                        "file read {} is not among the tallies",
                        locator.to_hex()
                    ));
                }
                if file.reads.insert(locator, (zeros, ones)).is_some() {
                    return Err(format!(
                        "locator {} listed twice in a file",
                        locator.to_hex()
                    ));
                }
            }
            if evidence.files.insert(id, file).is_some() {
                return Err("a file listed twice".to_owned());
            }
        }
        let mac = blake3::Hash::from_hex(&mac).map_err(|_| "bad MAC field".to_owned())?;
        let expected = blake3::keyed_hash(
            &key.evidence_mac_key(),
            evidence.json_body(&doc.key_id).as_bytes(),
        );
        // `blake3::Hash` compares in constant time.
        if mac != expected {
            return Err(
                "the MAC does not match: the file was changed after it was written".to_owned(),
            );
        }
        if let Some(stray) = stray {
            return Err(stray);
        }
        Ok((evidence, doc.key_id))
    }
}

/// The `format` field of an evidence document.
pub const EVIDENCE_FORMAT: &str = "watermark-evidence/v3";
