use std::fmt;

/// Errors raised by inventory operations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InventoryError {
    UnknownSku(String),
    DuplicateSku(String),
    InsufficientStock {
        sku: String,
        requested: u32,
        available: u32,
    },
    InvalidQuantity(i64),
    OrderClosed(u64),
    Parse(String),
}

impl InventoryError {
    /// Short machine readable code used in log lines and exports.
    pub fn code(&self) -> &'static str {
        match self {
            InventoryError::UnknownSku(_) => "E_UNKNOWN_SKU",
            InventoryError::DuplicateSku(_) => "E_DUPLICATE_SKU",
            InventoryError::InsufficientStock { .. } => "E_SHORT",
            InventoryError::InvalidQuantity(_) => "E_QUANTITY",
            InventoryError::OrderClosed(_) => "E_ORDER_CLOSED",
            InventoryError::Parse(_) => "E_PARSE",
        }
    }

    /// Whether retrying the same operation later could succeed, for
    /// example after a delivery has been received.
    pub fn is_recoverable(&self) -> bool {
        match self {
            InventoryError::InsufficientStock { .. } => true,
            InventoryError::UnknownSku(_) => true,
            _ => false,
        }
    }

    /// How many units were missing, for shortage errors.
    pub fn shortfall(&self) -> Option<u32> {
        match self {
            InventoryError::InsufficientStock {
                requested,
                available,
                ..
            } => Some(requested.saturating_sub(*available)),
            _ => None,
        }
    }
}

impl fmt::Display for InventoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let message = match self {
            InventoryError::UnknownSku(sku) => format!("unknown sku {}", sku),
            InventoryError::DuplicateSku(sku) => format!("sku {} already exists", sku),
            InventoryError::InsufficientStock {
                sku,
                requested,
                available,
            } => format!(
                "not enough stock for {}: requested {}, available {}",
                sku, requested, available
            ),
            InventoryError::InvalidQuantity(quantity) => format!("invalid quantity {}", quantity),
            InventoryError::OrderClosed(id) => format!("order {} is closed", id),
            InventoryError::Parse(message) => format!("parse error: {}", message),
        };
        f.write_str(&message)
    }
}

impl std::error::Error for InventoryError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortage_reports_missing_units() {
        let error = InventoryError::InsufficientStock {
            sku: String::from("BOLT-10"),
            requested: 12,
            available: 5,
        };

        assert_eq!(error.shortfall(), Some(7));
        assert!(error.is_recoverable());
        assert_eq!(error.code(), "E_SHORT");
    }

    #[test]
    fn display_mentions_the_sku() {
        let error = InventoryError::UnknownSku(String::from("NUT-4"));
        let text = error.to_string();
        assert!(text.contains("NUT-4"));
        assert_eq!(error.shortfall(), None);
    }
}
