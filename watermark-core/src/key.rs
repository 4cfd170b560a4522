//! The owner key: one Ed25519 secret (PKCS#8 PEM) from which the signing key
//! and the keyed-hash (PRF) key are derived.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{
    DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, KeypairBytes,
};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use crate::error::KeyError;

/// Context string of the PRF key derivation. Changing it changes every
/// watermark, so it carries a version.
const PRF_CONTEXT: &str = "watermark 2026-11-26 v1 prf key";

/// The owner's secret: signs receipts and derives every keyed choice.
///
/// `Debug` never prints the secret.
pub struct OwnerKey {
    signing: SigningKey,
    prf: [u8; 32],
}

impl std::fmt::Debug for OwnerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OwnerKey")
            .field("key_id", &self.key_id())
            .finish_non_exhaustive()
    }
}

impl OwnerKey {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> Self {
        Self::from_seed(rand::random::<[u8; 32]>())
    }

    /// The key with this Ed25519 seed (deterministic; for tests and demos).
    pub fn from_seed(seed: [u8; 32]) -> Self {
        let signing = SigningKey::from_bytes(&seed);
        let prf = blake3::derive_key(PRF_CONTEXT, &seed);
        OwnerKey { signing, prf }
    }

    /// Parse a PKCS#8 PEM private key (as written by [`OwnerKey::to_pem`] or
    /// `openssl genpkey -algorithm ed25519`).
    pub fn from_pem(pem: &str) -> Result<Self, String> {
        let signing = SigningKey::from_pkcs8_pem(pem).map_err(|e| e.to_string())?;
        Ok(Self::from_seed(signing.to_bytes()))
    }

    /// Read a key file.
    pub fn load(path: &Path) -> Result<Self, KeyError> {
        let text = read_key_file(path)?;
        Self::from_pem(&text).map_err(|reason| KeyError::Malformed {
            path: path.to_owned(),
            reason,
        })
    }

    /// The secret as PKCS#8 v1 PEM (the form `openssl genpkey` writes; the
    /// v2 form with the public key embedded is rejected by OpenSSL 3.0).
    pub fn to_pem(&self) -> Result<String, KeyError> {
        let keypair = KeypairBytes {
            secret_key: self.signing.to_bytes(),
            public_key: None,
        };
        let doc = keypair
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| KeyError::Encode(e.to_string()))?;
        Ok(doc.as_str().to_owned())
    }

    /// The public key as SubjectPublicKeyInfo PEM.
    pub fn public_pem(&self) -> Result<String, KeyError> {
        self.verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| KeyError::Encode(e.to_string()))
    }

    /// Write the secret to `path` (created new, mode 0600) and the public key
    /// beside it with the extension `.pub`. Refuses to overwrite either.
    /// Returns the public key's path.
    pub fn save(&self, path: &Path) -> Result<PathBuf, KeyError> {
        let pub_path = path.with_extension("pub");
        if path.extension().is_some_and(|ext| ext == "pub") {
            return Err(KeyError::PublicName {
                path: path.to_owned(),
            });
        }
        for p in [path, pub_path.as_path()] {
            if p.exists() {
                return Err(KeyError::Exists { path: p.to_owned() });
            }
        }
        let public = self.public_pem()?;
        write_new(path, self.to_pem()?.as_bytes(), 0o600)?;
        if let Err(err) = write_new(&pub_path, public.as_bytes(), 0o644) {
            // No secret key without its public half: remove it.
            let _ = std::fs::remove_file(path);
            return Err(err);
        }
        Ok(pub_path)
    }

    /// The Ed25519 public key.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.signing.verifying_key()
    }

    /// A short public identifier: the first 16 hex digits of the BLAKE3
    /// digest of the public key.
    pub fn key_id(&self) -> String {
        key_id_of(&self.verifying_key())
    }

    /// The public half, which verifies what this key signs.
    pub fn public_key(&self) -> PublicKey {
        PublicKey {
            verifying: self.verifying_key(),
        }
    }

    /// An Ed25519 signature over `message`.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.signing.sign(message).to_bytes()
    }

    pub(crate) fn prf_key(&self) -> &[u8; 32] {
        &self.prf
    }

    /// The key that authenticates evidence files written with this key.
    pub(crate) fn evidence_mac_key(&self) -> [u8; 32] {
        blake3::derive_key("watermark 2026-11 evidence MAC", &self.prf)
    }
}

/// A key file's text: a regular file (a FIFO would block, a device never
/// end) of at most 64 KiB (a PEM key is a few hundred bytes).
fn read_key_file(path: &Path) -> Result<String, KeyError> {
    use std::io::Read as _;
    const MAX: u64 = 64 << 10;
    let read_error = |source| KeyError::Read {
        path: path.to_owned(),
        source,
    };
    let meta = fs::metadata(path).map_err(read_error)?;
    if !meta.is_file() {
        return Err(read_error(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file",
        )));
    }
    let mut bytes = Vec::new();
    fs::File::open(path)
        .and_then(|file| file.take(MAX + 1).read_to_end(&mut bytes))
        .map_err(read_error)?;
    if bytes.len() as u64 > MAX {
        return Err(read_error(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "larger than 64 KiB, which no PEM key is",
        )));
    }
    String::from_utf8(bytes).map_err(|_| {
        read_error(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "not text",
        ))
    })
}

fn key_id_of(verifying: &VerifyingKey) -> String {
    let digest = blake3::hash(verifying.as_bytes());
    digest.to_hex()[..16].to_owned()
}

/// An owner's public key: verifies signed comments, receipts and ledgers
/// without the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    verifying: VerifyingKey,
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublicKey")
            .field("key_id", &self.key_id())
            .finish()
    }
}

impl PublicKey {
    /// Parse a SubjectPublicKeyInfo PEM public key (as `keygen` writes it,
    /// or `openssl pkey -pubout`).
    pub fn from_pem(pem: &str) -> Result<Self, String> {
        VerifyingKey::from_public_key_pem(pem)
            .map(|verifying| PublicKey { verifying })
            .map_err(|e| e.to_string())
    }

    /// Read a public key file.
    pub fn load(path: &Path) -> Result<Self, KeyError> {
        let text = read_key_file(path)?;
        Self::from_pem(&text).map_err(|reason| KeyError::MalformedPublic {
            path: path.to_owned(),
            reason,
        })
    }

    /// The same identifier as [`OwnerKey::key_id`] of the secret half.
    pub fn key_id(&self) -> String {
        key_id_of(&self.verifying)
    }

    /// The key as SubjectPublicKeyInfo PEM.
    pub fn to_pem(&self) -> Result<String, KeyError> {
        self.verifying
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| KeyError::Encode(e.to_string()))
    }

    /// Whether `signature` is this key's Ed25519 signature over `message`
    /// (strict verification: no malleable or small-order forms).
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        let Ok(bytes) = <[u8; 64]>::try_from(signature) else {
            return false;
        };
        self.verifying
            .verify_strict(message, &Signature::from_bytes(&bytes))
            .is_ok()
    }
}

fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), KeyError> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let wrap = |source| KeyError::Write {
        path: path.to_owned(),
        source,
    };
    let mut file = options.open(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::AlreadyExists {
            KeyError::Exists {
                path: path.to_owned(),
            }
        } else {
            wrap(source)
        }
    })?;
    file.write_all(bytes).map_err(wrap)?;
    file.sync_all().map_err(wrap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_round_trip_keeps_the_prf_key() {
        let key = OwnerKey::from_seed([7; 32]);
        let again = OwnerKey::from_pem(&key.to_pem().expect("pem")).expect("parse");
        assert_eq!(key.prf_key(), again.prf_key());
        assert_eq!(key.key_id(), again.key_id());
        assert_ne!(
            key.prf_key(),
            &[7; 32],
            "the PRF key is derived, not the seed"
        );
    }

    #[test]
    fn debug_does_not_print_the_secret() {
        let key = OwnerKey::from_seed([7; 32]);
        let shown = format!("{key:?}");
        assert!(shown.contains(&key.key_id()));
        assert!(!shown.contains("secret"));
    }

    #[test]
    fn the_public_key_verifies_what_the_secret_signs() {
        let key = OwnerKey::from_seed([7; 32]);
        let public = PublicKey::from_pem(&key.public_pem().expect("pem")).expect("parse");
        assert_eq!(public, key.public_key());
        assert_eq!(public.key_id(), key.key_id());
        let sig = key.sign(b"delivery");
        assert!(public.verify(b"delivery", &sig));
        assert!(!public.verify(b"delivery!", &sig));
        let mut bad = sig;
        bad[3] ^= 1;
        assert!(!public.verify(b"delivery", &bad));
        assert!(!public.verify(b"delivery", &sig[..63]));
        let other = OwnerKey::from_seed([8; 32]).public_key();
        assert!(!other.verify(b"delivery", &sig));
    }

    #[test]
    fn corrupt_pem_is_an_error() {
        assert!(OwnerKey::from_pem(
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
        )
        .is_err());
        assert!(OwnerKey::from_pem("hello").is_err());
    }
}
