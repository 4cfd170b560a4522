//! DSSE envelopes: the signed wrapper of a receipt.
//!
//! The signature covers the pre-authentication encoding ([`pae`]) of the
//! payload type and the payload, never the JSON around them. The JSON is
//! nevertheless held to one canonical rendering ([`Envelope::to_bytes`]) so
//! that a receipt file has exactly one valid form.

use base64ct::{Base64, Encoding};
use serde::{Deserialize, Serialize};

use super::{first_difference, ReceiptFault};
use crate::key::{OwnerKey, PublicKey};

/// The payload type of an in-toto statement.
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// The DSSE v1 pre-authentication encoding, the bytes actually signed:
/// `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, lengths in ASCII
/// decimal bytes.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload_type.len() + payload.len() + 32);
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(payload_type.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

/// A DSSE envelope. Fields serialize in the order `payloadType`, `payload`,
/// `signatures`; unknown fields are refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    #[serde(rename = "payloadType")]
    payload_type: String,
    /// Standard base64 with padding.
    payload: String,
    signatures: Vec<EnvelopeSignature>,
}

/// One signature of an envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvelopeSignature {
    keyid: String,
    /// Standard base64 with padding of the 64-byte Ed25519 signature.
    sig: String,
}

impl EnvelopeSignature {
    /// The signing key's id ([`OwnerKey::key_id`]).
    pub fn keyid(&self) -> &str {
        &self.keyid
    }

    /// The signature as base64.
    pub fn sig_base64(&self) -> &str {
        &self.sig
    }
}

impl Envelope {
    /// Sign `payload` (an in-toto statement, [`PAYLOAD_TYPE`]) with `key`.
    pub fn sign(payload: &[u8], key: &OwnerKey) -> Envelope {
        let sig = key.sign(&pae(PAYLOAD_TYPE, payload));
        Envelope {
            payload_type: PAYLOAD_TYPE.to_owned(),
            payload: Base64::encode_string(payload),
            signatures: vec![EnvelopeSignature {
                keyid: key.key_id(),
                sig: Base64::encode_string(&sig),
            }],
        }
    }

    /// The canonical file form: pretty JSON (two-space indent, fields in
    /// declaration order) and a final newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Serializing strings and vectors of strings cannot fail.
        let mut out = serde_json::to_vec_pretty(self).unwrap_or_default();
        out.push(b'\n');
        out
    }

    /// Parse an envelope, accepting only the exact bytes that
    /// [`Envelope::to_bytes`] would write for it. Checks no signature.
    pub fn from_bytes(bytes: &[u8]) -> Result<Envelope, ReceiptFault> {
        let envelope: Envelope =
            serde_json::from_slice(bytes).map_err(|e| ReceiptFault::Malformed(e.to_string()))?;
        let canonical = envelope.to_bytes();
        if canonical != bytes {
            return Err(ReceiptFault::NotCanonical {
                byte_offset: first_difference(&canonical, bytes),
            });
        }
        Ok(envelope)
    }

    /// The declared payload type.
    pub fn payload_type(&self) -> &str {
        &self.payload_type
    }

    /// The signatures, as written.
    pub fn signatures(&self) -> &[EnvelopeSignature] {
        &self.signatures
    }

    /// Check the payload type and the signatures against `keys`; return the
    /// payload and the key that signed it. At least one signature must be by
    /// one of `keys`, and every signature by one of `keys` must verify;
    /// signatures by other keys are ignored.
    pub fn verify<'k>(
        &self,
        keys: &'k [PublicKey],
    ) -> Result<(Vec<u8>, &'k PublicKey), ReceiptFault> {
        if self.payload_type != PAYLOAD_TYPE {
            return Err(ReceiptFault::PayloadType(self.payload_type.clone()));
        }
        let payload =
            Base64::decode_vec(&self.payload).map_err(|_| ReceiptFault::Base64("payload"))?;
        if self.signatures.is_empty() {
            return Err(ReceiptFault::NoSignature);
        }
        let message = pae(&self.payload_type, &payload);
        let ids: Vec<String> = keys.iter().map(PublicKey::key_id).collect();
        let mut signer = None;
        for signature in &self.signatures {
            let sig =
                Base64::decode_vec(&signature.sig).map_err(|_| ReceiptFault::Base64("sig"))?;
            let Some(index) = ids.iter().position(|id| *id == signature.keyid) else {
                continue;
            };
            if !keys[index].verify(&message, &sig) {
                return Err(ReceiptFault::BadSignature {
                    keyid: signature.keyid.clone(),
                });
            }
            signer.get_or_insert(&keys[index]);
        }
        match signer {
            Some(key) => Ok((payload, key)),
            None => Err(ReceiptFault::UnknownKey {
                keyids: self.signatures.iter().map(|s| s.keyid.clone()).collect(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_dsse_spec_example() {
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
        );
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ");
        // Lengths count bytes, not characters.
        let mut expected = "DSSEv1 2 é 1 ".as_bytes().to_vec();
        expected.push(0xff);
        assert_eq!(pae("é", b"\xff"), expected);
    }

    #[test]
    fn canonical_round_trip() {
        let key = OwnerKey::from_seed([3; 32]);
        let envelope = Envelope::sign(b"{\"a\":1}", &key);
        let bytes = envelope.to_bytes();
        assert!(bytes.starts_with(
            b"{\n  \"payloadType\": \"application/vnd.in-toto+json\",\n  \"payload\": \""
        ));
        assert!(bytes.ends_with(b"}\n"));
        let again = Envelope::from_bytes(&bytes).expect("canonical");
        assert_eq!(again, envelope);
        assert_eq!(again.to_bytes(), bytes);
        let keys = [key.public_key()];
        let (payload, signer) = again.verify(&keys).expect("verifies");
        assert_eq!(payload, b"{\"a\":1}");
        assert_eq!(signer.key_id(), key.key_id());

        // The same envelope rendered compactly parses, but is not canonical.
        let compact = serde_json::to_vec(&envelope).expect("json");
        assert_eq!(
            Envelope::from_bytes(&compact),
            Err(ReceiptFault::NotCanonical { byte_offset: 1 })
        );
        // Nor is it without its final newline.
        assert_eq!(
            Envelope::from_bytes(&bytes[..bytes.len() - 1]),
            Err(ReceiptFault::NotCanonical {
                byte_offset: bytes.len() - 1
            })
        );
    }

    #[test]
    fn signatures_by_other_keys_are_ignored_but_one_is_needed() {
        let key = OwnerKey::from_seed([3; 32]);
        let other = OwnerKey::from_seed([4; 32]);
        let mut envelope = Envelope::sign(b"x", &key);
        assert!(matches!(
            envelope.verify(&[other.public_key()]),
            Err(ReceiptFault::UnknownKey { .. })
        ));
        envelope
            .signatures
            .insert(0, Envelope::sign(b"x", &other).signatures[0].clone());
        assert!(envelope.verify(&[key.public_key()]).is_ok());
        // A signature claiming a trusted key id must verify.
        envelope.signatures[0].keyid = key.key_id();
        assert_eq!(
            envelope.verify(&[key.public_key()]),
            Err(ReceiptFault::BadSignature {
                keyid: key.key_id()
            })
        );
        envelope.signatures.clear();
        assert_eq!(
            envelope.verify(&[key.public_key()]),
            Err(ReceiptFault::NoSignature)
        );
    }
}
