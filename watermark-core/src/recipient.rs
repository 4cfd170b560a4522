//! Recipient identifiers.

use crate::error::RecipientError;

/// The identifier of one recipient of a tagged copy (a vendor name, a
/// contract number). Printable, no commas, at most 200 bytes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Recipient(String);

impl Recipient {
    /// Validate an identifier.
    pub fn new(id: &str) -> Result<Self, RecipientError> {
        if id.is_empty() {
            return Err(RecipientError::Empty);
        }
        if id.len() > 200 {
            return Err(RecipientError::TooLong(id.to_owned()));
        }
        if id.chars().any(|c| c.is_control() || c == ',') || id.trim() != id {
            return Err(RecipientError::BadCharacter(id.to_owned()));
        }
        Ok(Recipient(id.to_owned()))
    }

    /// The identifier.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Recipient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Recipient {
    type Err = RecipientError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Recipient::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation() {
        assert!(Recipient::new("acme-corp #12").is_ok());
        assert_eq!(Recipient::new(""), Err(RecipientError::Empty));
        assert!(Recipient::new("a,b").is_err());
        assert!(Recipient::new(" a").is_err());
        assert!(Recipient::new("a\nb").is_err());
        assert!(Recipient::new(&"x".repeat(201)).is_err());
    }
}
