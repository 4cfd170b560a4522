//! Inventory management core for the warehouse back office.
//!
//! The crate keeps track of stock levels per bin location, prices items
//! according to configurable rules, allocates customer orders, suggests
//! replenishment quantities and renders plain-text reports for the
//! operations team.

pub mod error;
pub mod orders;
pub mod pricing;
pub mod reorder;
pub mod report;
pub mod stock;

pub use error::InventoryError;
pub use orders::{Order, OrderLine, OrderStatus};
pub use pricing::{PriceBook, PriceRule, Quote};
pub use reorder::{DemandHistory, ReorderPolicy, ReorderSuggestion};
pub use report::Report;
pub use stock::{Location, Sku, StockItem, Warehouse};

/// Amount of money in cents. Prices are kept as integers so that totals
/// never drift because of floating point rounding.
pub type Cents = i64;

/// Formats an amount of cents as a dollar string such as `12.05`.
pub fn format_cents(amount: Cents) -> String {
    let sign = if amount < 0 { "-" } else { "" };
    let absolute = amount.abs();

    let dollars = absolute / 100;
    let cents = absolute % 100;
    format!("{}{}.{:02}", sign, dollars, cents)
}

/// Parses a dollar string such as `12.5` or `7` into cents.
pub fn parse_cents(text: &str) -> Result<Cents, InventoryError> {
    let trimmed = text.trim();

    if trimmed.is_empty() {
        return Err(InventoryError::Parse(String::from("empty amount")));
    }

    let negative = trimmed.starts_with('-');
    let digits = trimmed.trim_start_matches('-');
    let mut parts = digits.splitn(2, '.');

    let whole_part = match parts.next() {
        Some(part) if !part.is_empty() => part,
        _ => "0",
    };
    let fraction_part = parts.next().unwrap_or("");

    let whole: i64 = whole_part
        .parse()
        .map_err(|_| InventoryError::Parse(format!("bad amount: {}", text)))?;
    let mut fraction = String::from(fraction_part);
    if fraction.len() > 2 {
        return Err(InventoryError::Parse(format!(
            "too many decimals: {}",
            text
        )));
    }
    while fraction.len() < 2 {
        fraction.push('0');
    }

    let cents: i64 = fraction
        .parse()
        .map_err(|_| InventoryError::Parse(format!("bad amount: {}", text)))?;
    let total = whole * 100 + cents;
    if negative {
        Ok(-total)
    } else {
        Ok(total)
    }
}

/// Applies a percentage expressed in basis points (1/100 of a percent)
/// to an amount, rounding half away from zero.
pub fn apply_basis_points(amount: Cents, basis_points: i64) -> Cents {
    let product = amount * basis_points;
    let quotient = product / 10_000;
    let remainder = product % 10_000;

    if remainder.abs() * 2 >= 10_000 {
        if product < 0 {
            return quotient - 1;
        }
        return quotient + 1;
    }
    quotient
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_positive_and_negative_amounts() {
        assert_eq!(format_cents(1205), "12.05");
        assert_eq!(format_cents(-7), "-0.07");
        assert_eq!(format_cents(0), "0.00");
    }

    #[test]
    fn parses_amounts_with_and_without_decimals() {
        assert_eq!(parse_cents("12.5").unwrap(), 1250);
        assert_eq!(parse_cents("7").unwrap(), 700);
        assert_eq!(parse_cents("-0.25").unwrap(), -25);
        assert_eq!(parse_cents(".40").unwrap(), 40);
        assert!(parse_cents("1.234").is_err());
        assert!(parse_cents("").is_err());
    }

    #[test]
    fn basis_points_round_half_away_from_zero() {
        assert_eq!(apply_basis_points(1000, 825), 83);
        assert_eq!(apply_basis_points(200, 2500), 50);
        assert_eq!(apply_basis_points(-1000, 825), -83);
        assert_eq!(apply_basis_points(0, 1234), 0);
    }
}
