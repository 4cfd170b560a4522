//! Keyed pseudo-random functions: locators, masks, biases, codeword bits and
//! ranks, all keyed BLAKE3 under the owner's PRF key with one domain byte
//! each, so no two uses can collide.

use aes::cipher::{BlockCipherEncrypt, KeyInit};

use crate::key::OwnerKey;
use crate::recipient::Recipient;

/// The identity of a site across copies: a keyed hash of its normalized
/// content. Two sites with the same locator carry the same code position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Locator(pub(crate) [u8; 16]);

impl Locator {
    /// The locator as 32 hex digits.
    pub fn to_hex(self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Parse 32 hex digits.
    pub fn from_hex(hex: &str) -> Option<Self> {
        if hex.len() != 32 || !hex.is_ascii() {
            return None;
        }
        let mut bytes = [0u8; 16];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(Locator(bytes))
    }
}

#[repr(u8)]
#[derive(Clone, Copy)]
enum Domain {
    Locator = 1,
    Mask = 2,
    Bias = 3,
    Recipient = 4,
    Rank = 5,
    File = 6,
}

/// The keyed functions of one owner key.
#[derive(Clone)]
pub struct Prf {
    key: [u8; 32],
}

impl std::fmt::Debug for Prf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Prf { .. }")
    }
}

impl Prf {
    /// The PRF of an owner key.
    pub fn new(key: &OwnerKey) -> Self {
        Prf {
            key: *key.prf_key(),
        }
    }

    fn hasher(&self, domain: Domain) -> blake3::Hasher {
        let mut hasher = blake3::Hasher::new_keyed(&self.key);
        hasher.update(&[domain as u8]);
        hasher
    }

    fn u64_of(&self, domain: Domain, locator: Locator) -> u64 {
        let mut hasher = self.hasher(domain);
        hasher.update(&locator.0);
        first_u64(&hasher.finalize())
    }

    /// A locator hasher: feed it the normalized content, then call
    /// [`LocatorHasher::finish`].
    pub(crate) fn locator_hasher(&self) -> LocatorHasher {
        LocatorHasher(self.hasher(Domain::Locator))
    }

    /// The mask bit: the rendered value is codeword XOR mask, so that code
    /// never tagged with this key reads as fair coin flips.
    pub fn mask(&self, locator: Locator) -> bool {
        self.u64_of(Domain::Mask, locator) >> 63 == 1
    }

    /// The raw 64-bit draw from which a position's bias is computed.
    pub fn bias_draw(&self, locator: Locator) -> u64 {
        self.u64_of(Domain::Bias, locator)
    }

    /// A keyed digest of a suspect file's language and text: files with the
    /// same text in one language are one file to the tracer, however many times and under whatever
    /// names they were read, and the digest tells nothing about the text to
    /// whoever holds an evidence file without the key.
    pub(crate) fn file_id(&self, language: &str, text: &[u8]) -> [u8; 16] {
        let mut hasher = self.hasher(Domain::File);
        // One text read as two languages is two files (its sites differ).
        hasher.update(&(language.len() as u64).to_le_bytes());
        hasher.update(language.as_bytes());
        hasher.update(text);
        let mut id = [0u8; 16];
        id.copy_from_slice(&hasher.finalize().as_bytes()[..16]);
        id
    }

    /// A keyed order on locators (used to pick which edits to make first).
    pub fn rank(&self, locator: Locator) -> u64 {
        self.u64_of(Domain::Rank, locator)
    }

    /// The codeword generator of one recipient.
    pub fn recipient(&self, recipient: &Recipient) -> RecipientPrf {
        self.recipient_of(recipient.as_str().as_bytes())
    }

    /// The codeword generator of decoy `index`: a recipient nobody can be
    /// (its id holds a NUL byte, which recipient ids never do), so its
    /// score on any suspect is a draw from the null distribution.
    pub fn decoy(&self, index: u64) -> RecipientPrf {
        let mut id = b"\0decoy-".to_vec();
        id.extend_from_slice(index.to_string().as_bytes());
        self.recipient_of(&id)
    }

    fn recipient_of(&self, id: &[u8]) -> RecipientPrf {
        let mut hasher = self.hasher(Domain::Recipient);
        hasher.update(&(id.len() as u64).to_le_bytes());
        hasher.update(id);
        let mut key = [0u8; 16];
        key.copy_from_slice(&hasher.finalize().as_bytes()[..16]);
        RecipientPrf {
            cipher: aes::Aes128::new(&key.into()),
        }
    }
}

/// Incremental hashing of a site's normalized content.
pub(crate) struct LocatorHasher(blake3::Hasher);

impl LocatorHasher {
    pub(crate) fn update(&mut self, bytes: &[u8]) -> &mut Self {
        self.0.update(bytes);
        self
    }

    pub(crate) fn finish(&self) -> Locator {
        let hash = self.0.finalize();
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&hash.as_bytes()[..16]);
        Locator(bytes)
    }
}

/// The keyed codeword source of one recipient: AES-128 (a pseudo-random
/// permutation, so a PRF on distinct 16-byte locators) under a key derived
/// with BLAKE3 from the owner key and the recipient id; the draw at a
/// position is the first 8 bytes of the locator's encryption, little-endian.
///
/// AES rather than BLAKE3 for the per-position draw because tracing
/// computes one draw per candidate and position, which dominates with
/// thousands of candidates: with the CPU's AES instructions and blocks
/// encrypted in batches a draw costs about 2.5 ns (bare AES-128 about
/// 1.3 ns a block), against about 28 ns for SipHash-2-4 and more for BLAKE3 (`aes` falls back to a constant-time
/// software implementation, with the same output, on CPUs without them).
#[derive(Clone)]
pub struct RecipientPrf {
    cipher: aes::Aes128,
}

impl std::fmt::Debug for RecipientPrf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecipientPrf { .. }")
    }
}

impl RecipientPrf {
    /// The recipient's uniform 64-bit draw at a position; the codeword bit is
    /// `draw < bias threshold` (integer comparison, bit-reproducible).
    pub fn draw(&self, locator: Locator) -> u64 {
        let mut block = aes::Block::from(locator.0);
        self.cipher.encrypt_block(&mut block);
        first_u64_of(&block)
    }

    /// The draws at many positions, in order, a batch at a time:
    /// `each(start, draws)` gets the draws of `locators[start..]`, as many
    /// as the cipher encrypts at once. The same values as
    /// [`RecipientPrf::draw`]; one pass through the cipher's backend, so
    /// its round keys are set up once and the blocks of a batch overlap.
    pub fn draws(&self, locators: &[Locator], each: impl FnMut(usize, &[u64])) {
        self.cipher.encrypt_with_backend(Draws { locators, each });
    }
}

/// The pass of [`RecipientPrf::draws`] through the cipher's backend.
struct Draws<'a, F> {
    locators: &'a [Locator],
    each: F,
}

impl<F> aes::cipher::BlockSizeUser for Draws<'_, F> {
    type BlockSize = aes::cipher::consts::U16;
}

impl<F: FnMut(usize, &[u64])> aes::cipher::BlockCipherEncClosure for Draws<'_, F> {
    #[inline(always)]
    fn call<B: aes::cipher::BlockCipherEncBackend<BlockSize = Self::BlockSize>>(
        mut self,
        backend: &B,
    ) {
        let mut blocks = aes::cipher::ParBlocks::<B>::default();
        // The backend's batch (64 blocks with AVX-512, fewer elsewhere).
        let mut draws = [0u64; 64];
        let width = blocks.len().min(draws.len());
        for (batch, chunk) in self.locators.chunks(width).enumerate() {
            if chunk.len() == blocks.len() {
                for (block, locator) in blocks.iter_mut().zip(chunk) {
                    *block = aes::Block::from(locator.0);
                }
                backend.encrypt_par_blocks_inplace(&mut blocks);
            } else {
                for (block, locator) in blocks.iter_mut().zip(chunk) {
                    *block = aes::Block::from(locator.0);
                    backend.encrypt_block_inplace(block);
                }
            }
            for (draw, block) in draws.iter_mut().zip(blocks.iter()).take(chunk.len()) {
                *draw = first_u64_of(block);
            }
            (self.each)(batch * width, &draws[..chunk.len()]);
        }
    }
}

fn first_u64_of(block: &aes::Block) -> u64 {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&block[..8]);
    u64::from_le_bytes(bytes)
}

fn first_u64(hash: &blake3::Hash) -> u64 {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&hash.as_bytes()[..8]);
    u64::from_le_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn locators(count: usize) -> Vec<Locator> {
        (0..count)
            .map(|i| {
                let mut bytes = [0u8; 16];
                bytes[..8]
                    .copy_from_slice(&(i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15).to_le_bytes());
                Locator(bytes)
            })
            .collect()
    }

    /// Batched draws are the single draws, in order, across every batch
    /// boundary and for the partial last batch.
    #[test]
    fn batched_draws_equal_single_draws() {
        let prf = Prf::new(&OwnerKey::from_seed([3; 32]));
        let codeword = prf.recipient(&Recipient::new("acme").expect("valid id"));
        for count in [0, 1, 7, 63, 64, 65, 128, 200] {
            let locators = locators(count);
            let mut seen = Vec::new();
            codeword.draws(&locators, |start, draws| {
                assert_eq!(start, seen.len(), "batches arrive in order");
                assert!(!draws.is_empty());
                seen.extend_from_slice(draws);
            });
            let single: Vec<u64> = locators.iter().map(|&l| codeword.draw(l)).collect();
            assert_eq!(seen, single, "{count} locators");
        }
    }
}
