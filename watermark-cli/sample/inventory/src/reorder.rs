use std::collections::BTreeMap;

use crate::stock::{Sku, StockItem, Warehouse};
use crate::Cents;

/// Units sold per day, oldest day first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DemandHistory {
    daily: Vec<u32>,
}

impl DemandHistory {
    pub fn new() -> DemandHistory {
        DemandHistory { daily: Vec::new() }
    }

    pub fn from_days(days: &[u32]) -> DemandHistory {
        DemandHistory {
            daily: days.to_vec(),
        }
    }

    pub fn record(&mut self, units: u32) {
        self.daily.push(units);
    }

    pub fn days(&self) -> usize {
        self.daily.len()
    }

    pub fn average(&self) -> f64 {
        if self.daily.is_empty() {
            return 0.0;
        }
        let total: u64 = self.daily.iter().map(|&units| units as u64).sum();
        total as f64 / self.daily.len() as f64
    }

    pub fn std_deviation(&self) -> f64 {
        if self.daily.len() < 2 {
            return 0.0;
        }

        let mean = self.average();
        let mut sum_of_squares = 0.0;

        for &units in &self.daily {
            let delta = units as f64 - mean;
            sum_of_squares += delta * delta;
        }
        let variance = sum_of_squares / (self.daily.len() - 1) as f64;
        variance.sqrt()
    }

    pub fn peak(&self) -> u32 {
        self.daily.iter().copied().max().unwrap_or(0)
    }

    /// Average over the most recent `window` days.
    pub fn trailing_average(&self, window: usize) -> f64 {
        if window == 0 || self.daily.is_empty() {
            return 0.0;
        }
        let start = self.daily.len().saturating_sub(window);
        let recent = &self.daily[start..];

        let total: u64 = recent.iter().map(|&units| units as u64).sum();
        total as f64 / recent.len() as f64
    }

    /// Ratio between the second and the first half of the history.
    /// Values above one mean demand is growing.
    pub fn trend(&self) -> f64 {
        let half = self.daily.len() / 2;

        if half == 0 {
            return 1.0;
        }
        let first = DemandHistory::from_days(&self.daily[..half]).average();
        let second = DemandHistory::from_days(&self.daily[half..]).average();

        if first == 0.0 {
            return if second > 0.0 { 2.0 } else { 1.0 };
        }

        second / first
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReorderPolicy {
    pub lead_time_days: u32,
    pub service_factor: f64,
    pub order_cost: Cents,
    pub holding_rate: f64,
    pub minimum_order: u32,
}

impl ReorderPolicy {
    /// Defaults used by the purchasing team: one week lead time and
    /// roughly a 95 percent service level.
    pub fn standard() -> ReorderPolicy {
        ReorderPolicy {
            lead_time_days: 7,
            service_factor: 1.65,
            order_cost: 4500,
            holding_rate: 0.22,
            minimum_order: 10,
        }
    }

    pub fn safety_stock(&self, history: &DemandHistory) -> u32 {
        let lead_time = self.lead_time_days as f64;
        let deviation = history.std_deviation();
        let buffer = self.service_factor * deviation * lead_time.sqrt();
        buffer.ceil() as u32
    }

    pub fn reorder_point(&self, history: &DemandHistory) -> u32 {
        let daily = history.average() * history.trend().min(1.5);
        let lead_demand = (daily * self.lead_time_days as f64).ceil() as u32;

        lead_demand + self.safety_stock(history)
    }

    /// Classic economic order quantity, sqrt(2DS / H), with the annual
    /// demand extrapolated from the daily history.
    pub fn economic_order_quantity(&self, history: &DemandHistory, unit_cost: Cents) -> u32 {
        let annual_demand = history.average() * 365.0;
        let holding_cost = unit_cost as f64 * self.holding_rate;
        if annual_demand <= 0.0 || holding_cost <= 0.0 {
            return self.minimum_order;
        }

        let quantity = (2.0 * annual_demand * self.order_cost as f64 / holding_cost).sqrt();
        let rounded = quantity.round() as u32;
        rounded.max(self.minimum_order)
    }

    pub fn suggest(&self, item: &StockItem, history: &DemandHistory) -> Option<ReorderSuggestion> {
        let available = item.available();
        let reorder_point = self.reorder_point(history);
        if available > reorder_point {
            return None;
        }

        let quantity = self.economic_order_quantity(history, item.unit_cost);
        let average = history.average();

        let days_of_cover = if average > 0.0 {
            available as f64 / average
        } else {
            f64::INFINITY
        };
        let urgent = days_of_cover < self.lead_time_days as f64;

        Some(ReorderSuggestion {
            sku: item.sku.clone(),
            available,
            reorder_point,
            quantity,
            estimated_cost: item.unit_cost * quantity as Cents,
            days_of_cover,
            urgent,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReorderSuggestion {
    pub sku: Sku,
    pub available: u32,
    pub reorder_point: u32,
    pub quantity: u32,
    pub estimated_cost: Cents,
    pub days_of_cover: f64,
    pub urgent: bool,
}

/// Builds the replenishment plan for every item with known demand,
/// most urgent first.
pub fn plan(
    warehouse: &Warehouse,
    histories: &BTreeMap<Sku, DemandHistory>,
    policy: &ReorderPolicy,
) -> Vec<ReorderSuggestion> {
    let mut suggestions = Vec::new();
    for item in warehouse.items() {
        let history = match histories.get(&item.sku) {
            Some(history) => history,
            None => continue,
        };
        if let Some(suggestion) = policy.suggest(item, history) {
            suggestions.push(suggestion);
        }
    }

    suggestions.sort_by(|a, b| {
        a.days_of_cover
            .partial_cmp(&b.days_of_cover)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    suggestions
}

/// Total spend of a plan, split into urgent and regular orders.
pub fn plan_cost(suggestions: &[ReorderSuggestion]) -> (Cents, Cents) {
    let mut urgent = 0;
    let mut regular = 0;

    for suggestion in suggestions {
        if suggestion.urgent {
            urgent += suggestion.estimated_cost;
        } else {
            regular += suggestion.estimated_cost;
        }
    }
    (urgent, regular)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stock::Location;

    #[test]
    fn statistics_of_a_short_history() {
        let history = DemandHistory::from_days(&[4, 6, 5, 5, 10]);
        assert_eq!(history.days(), 5);
        assert!((history.average() - 6.0).abs() < 1e-9);
        assert_eq!(history.peak(), 10);
        assert!((history.trailing_average(2) - 7.5).abs() < 1e-9);
        assert!(history.std_deviation() > 2.0);
    }

    #[test]
    fn flat_history_has_no_safety_stock() {
        let history = DemandHistory::from_days(&[10; 14]);
        let policy = ReorderPolicy::standard();

        assert_eq!(policy.safety_stock(&history), 0);
        assert_eq!(policy.reorder_point(&history), 70);
        assert!((history.trend() - 1.0).abs() < 1e-9);
    }

    #[test]
    fn eoq_never_goes_below_minimum() {
        let policy = ReorderPolicy::standard();
        let quiet = DemandHistory::new();
        let busy = DemandHistory::from_days(&[20; 30]);

        assert_eq!(policy.economic_order_quantity(&quiet, 500), 10);
        assert_eq!(policy.economic_order_quantity(&busy, 500), 773);
    }

    #[test]
    fn plan_lists_only_items_below_reorder_point() {
        let mut warehouse = Warehouse::new("East");
        let fast = Sku::new("FAST-1").unwrap();
        let slow = Sku::new("SLOW-1").unwrap();
        let fast_item = StockItem::new(fast.clone(), "Fast mover", 200, Location::new(1, 1, 1));
        let slow_item = StockItem::new(slow.clone(), "Slow mover", 200, Location::new(1, 1, 2));

        warehouse.add_item(fast_item).unwrap();
        warehouse.add_item(slow_item).unwrap();
        warehouse.receive(&fast, 30).unwrap();
        warehouse.receive(&slow, 300).unwrap();

        let mut histories = BTreeMap::new();
        histories.insert(fast.clone(), DemandHistory::from_days(&[12; 10]));
        histories.insert(slow, DemandHistory::from_days(&[1; 10]));
        let suggestions = plan(&warehouse, &histories, &ReorderPolicy::standard());

        assert_eq!(suggestions.len(), 1);
        assert_eq!(suggestions[0].sku, fast);
        assert!(suggestions[0].urgent);
        let (urgent, regular) = plan_cost(&suggestions);
        assert_eq!(urgent, suggestions[0].estimated_cost);
        assert_eq!(regular, 0);
    }
}
