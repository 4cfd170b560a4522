use std::collections::BTreeMap;

use crate::error::InventoryError;
use crate::stock::{Sku, StockItem};
use crate::{apply_basis_points, format_cents, Cents};

/// How the selling price of an item is derived from its cost.
#[derive(Debug, Clone, PartialEq)]
pub enum PriceRule {
    /// Cost plus a markup given in basis points.
    Markup(i64),
    /// A fixed list price, whatever the cost is.
    Fixed(Cents),
    /// Markup with volume discounts as (minimum quantity, discount) pairs.
    Tiered { markup: i64, tiers: Vec<(u32, i64)> },
}

impl PriceRule {
    pub fn unit_price(&self, unit_cost: Cents, quantity: u32) -> Cents {
        match self {
            PriceRule::Markup(markup) => unit_cost + apply_basis_points(unit_cost, *markup),
            PriceRule::Fixed(price) => *price,
            PriceRule::Tiered { markup, tiers } => {
                let list = unit_cost + apply_basis_points(unit_cost, *markup);
                let discount = tier_discount(tiers, quantity);
                list - apply_basis_points(list, discount)
            }
        }
    }

    pub fn describe(&self) -> String {
        match self {
            PriceRule::Markup(markup) => format!("cost + {}bp", markup),
            PriceRule::Fixed(price) => format!("fixed {}", format_cents(*price)),
            PriceRule::Tiered { markup, tiers } => {
                let mut text = format!("cost + {}bp", markup);
                for (minimum, discount) in tiers {
                    text.push_str(&format!(", {}+ less {}bp", minimum, discount));
                }
                text
            }
        }
    }
}

fn tier_discount(tiers: &[(u32, i64)], quantity: u32) -> i64 {
    let mut best = 0;
    for (minimum, discount) in tiers {
        if quantity >= *minimum && *discount > best {
            best = *discount;
        }
    }
    best
}

/// Rounds a price up so that it ends in 99 cents, the way the retail
/// catalogue prints it. Prices under one dollar are left alone.
pub fn charm_price(price: Cents) -> Cents {
    if price < 100 {
        return price;
    }
    let dollars = price / 100;
    dollars * 100 + 99
}

#[derive(Debug, Clone, PartialEq)]
pub struct Promotion {
    pub code: String,
    pub discount: i64,
    pub minimum_subtotal: Cents,
    pub category: Option<String>,
}

impl Promotion {
    pub fn new(code: &str, discount: i64, minimum_subtotal: Cents) -> Promotion {
        Promotion {
            code: code.to_ascii_uppercase(),
            discount,
            minimum_subtotal,
            category: None,
        }
    }

    pub fn for_category(mut self, category: &str) -> Promotion {
        self.category = Some(category.to_ascii_uppercase());
        self
    }

    pub fn applies_to(&self, sku: &Sku) -> bool {
        match &self.category {
            Some(category) => sku.category() == category,
            None => true,
        }
    }

    pub fn discount_for(&self, eligible: Cents, subtotal: Cents) -> Cents {
        if subtotal < self.minimum_subtotal {
            return 0;
        }
        apply_basis_points(eligible, self.discount)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct QuoteLine {
    pub sku: Sku,
    pub description: String,
    pub quantity: u32,
    pub unit_price: Cents,
    pub amount: Cents,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Quote {
    pub lines: Vec<QuoteLine>,
    pub subtotal: Cents,
    pub discount: Cents,
    pub tax: Cents,
    pub total: Cents,
}

impl Quote {
    pub fn units(&self) -> u32 {
        self.lines.iter().map(|line| line.quantity).sum()
    }

    pub fn summary(&self) -> String {
        let mut text = String::new();
        for line in &self.lines {
            text.push_str(&format!(
                "{:<12} {:>5} x {:>9} = {:>10}\n",
                line.sku.as_str(),
                line.quantity,
                format_cents(line.unit_price),
                format_cents(line.amount)
            ));
        }

        text.push_str(&format!("subtotal {}\n", format_cents(self.subtotal)));
        if self.discount > 0 {
            text.push_str(&format!("discount -{}\n", format_cents(self.discount)));
        }

        text.push_str(&format!("tax {}\n", format_cents(self.tax)));
        text.push_str(&format!("total {}\n", format_cents(self.total)));
        text
    }
}

#[derive(Debug, Clone)]
pub struct PriceBook {
    default_rule: PriceRule,
    sku_rules: BTreeMap<Sku, PriceRule>,
    category_rules: BTreeMap<String, PriceRule>,
    promotions: Vec<Promotion>,
    tax_rate: i64,
    charm: bool,
}

impl PriceBook {
    pub fn new(default_markup: i64, tax_rate: i64) -> PriceBook {
        PriceBook {
            default_rule: PriceRule::Markup(default_markup),
            sku_rules: BTreeMap::new(),
            category_rules: BTreeMap::new(),
            promotions: Vec::new(),
            tax_rate,
            charm: false,
        }
    }

    pub fn set_sku_rule(&mut self, sku: Sku, rule: PriceRule) {
        self.sku_rules.insert(sku, rule);
    }

    pub fn set_category_rule(&mut self, category: &str, rule: PriceRule) {
        let key = category.to_ascii_uppercase();
        self.category_rules.insert(key, rule);
    }

    pub fn add_promotion(&mut self, promotion: Promotion) {
        self.promotions.retain(|p| p.code != promotion.code);
        self.promotions.push(promotion);
    }

    pub fn enable_charm_pricing(&mut self, enabled: bool) {
        self.charm = enabled;
    }

    /// The most specific rule wins: sku, then category, then default.
    pub fn rule_for(&self, sku: &Sku) -> &PriceRule {
        if let Some(rule) = self.sku_rules.get(sku) {
            return rule;
        }
        if let Some(rule) = self.category_rules.get(sku.category()) {
            return rule;
        }

        &self.default_rule
    }

    pub fn unit_price(&self, item: &StockItem, quantity: u32) -> Cents {
        let rule = self.rule_for(&item.sku);
        let price = rule.unit_price(item.unit_cost, quantity);

        if self.charm {
            return charm_price(price);
        }

        price
    }

    /// Margin of the single unit price over cost, in basis points.
    pub fn margin(&self, item: &StockItem) -> i64 {
        let price = self.unit_price(item, 1);
        if price == 0 {
            return 0;
        }

        let profit = price - item.unit_cost;
        profit * 10_000 / price
    }

    pub fn quote(
        &self,
        lines: &[(&StockItem, u32)],
        promo_code: Option<&str>,
    ) -> Result<Quote, InventoryError> {
        let promotion = match promo_code {
            Some(code) => Some(self.find_promotion(code)?),
            None => None,
        };
        let mut quote = Quote::default();
        let mut eligible = 0;

        for (item, quantity) in lines {
            if *quantity == 0 {
                return Err(InventoryError::InvalidQuantity(0));
            }
            let unit_price = self.unit_price(item, *quantity);
            let amount = unit_price * *quantity as Cents;

            if let Some(promo) = promotion {
                if promo.applies_to(&item.sku) {
                    eligible += amount;
                }
            }
            quote.subtotal += amount;
            quote.lines.push(QuoteLine {
                sku: item.sku.clone(),
                description: item.name.clone(),
                quantity: *quantity,
                unit_price,
                amount,
            });
        }

        if let Some(promo) = promotion {
            quote.discount = promo.discount_for(eligible, quote.subtotal);
        }
        let taxable = quote.subtotal - quote.discount;
        quote.tax = apply_basis_points(taxable, self.tax_rate);
        quote.total = taxable + quote.tax;
        Ok(quote)
    }

    fn find_promotion(&self, code: &str) -> Result<&Promotion, InventoryError> {
        let wanted = code.trim().to_ascii_uppercase();

        for promotion in &self.promotions {
            if promotion.code == wanted {
                return Ok(promotion);
            }
        }

        Err(InventoryError::Parse(format!("unknown promotion {}", code)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stock::Location;

    fn item(code: &str, cost: Cents) -> StockItem {
        let sku = Sku::new(code).unwrap();
        StockItem::new(sku, code, cost, Location::new(1, 1, 1))
    }

    #[test]
    fn tiered_rule_applies_best_discount() {
        let rule = PriceRule::Tiered {
            markup: 5000,
            tiers: vec![(10, 500), (100, 1500)],
        };

        assert_eq!(rule.unit_price(1000, 1), 1500);
        assert_eq!(rule.unit_price(1000, 10), 1425);
        assert_eq!(rule.unit_price(1000, 250), 1275);
    }

    #[test]
    fn most_specific_rule_wins() {
        let mut book = PriceBook::new(4000, 0);
        let bolt = item("BOLT-10", 100);
        let nut = item("NUT-4", 100);
        let washer = item("WASH-2", 100);

        book.set_category_rule("bolt", PriceRule::Markup(10_000));
        book.set_sku_rule(nut.sku.clone(), PriceRule::Fixed(175));
        assert_eq!(book.unit_price(&bolt, 1), 200);
        assert_eq!(book.unit_price(&nut, 1), 175);
        assert_eq!(book.unit_price(&washer, 1), 140);
    }

    #[test]
    fn charm_pricing_rounds_up_to_ninety_nine() {
        assert_eq!(charm_price(1220), 1299);
        assert_eq!(charm_price(1299), 1299);
        assert_eq!(charm_price(45), 45);
    }

    #[test]
    fn quote_applies_promotion_and_tax() {
        let mut book = PriceBook::new(5000, 800);
        book.add_promotion(Promotion::new("spring", 1000, 5000).for_category("BOLT"));
        let bolt = item("BOLT-10", 1000);
        let nut = item("NUT-4", 200);

        let quote = book
            .quote(&[(&bolt, 4), (&nut, 10)], Some("Spring"))
            .unwrap();
        assert_eq!(quote.subtotal, 6000 + 3000);
        assert_eq!(quote.discount, 600);
        assert_eq!(quote.tax, 672);
        assert_eq!(quote.total, 9072);
        assert_eq!(quote.units(), 14);
        assert!(quote.summary().contains("total 90.72"));
    }

    #[test]
    fn unknown_promotion_is_an_error() {
        let book = PriceBook::new(5000, 800);
        let bolt = item("BOLT-10", 1000);
        assert!(book.quote(&[(&bolt, 1)], Some("NOPE")).is_err());
        assert_eq!(book.margin(&bolt), 3333);
    }
}
