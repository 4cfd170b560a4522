use std::collections::BTreeMap;

use crate::error::InventoryError;
use crate::Cents;

/// Stock keeping unit code, normalised to upper case.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sku(String);

impl Sku {
    pub fn new(code: &str) -> Result<Sku, InventoryError> {
        let cleaned = code.trim().to_ascii_uppercase();

        if cleaned.len() < 3 || cleaned.len() > 16 {
            return Err(InventoryError::Parse(format!("bad sku length: {}", code)));
        }

        let valid = cleaned
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !valid {
            return Err(InventoryError::Parse(format!(
                "bad sku characters: {}",
                code
            )));
        }

        Ok(Sku(cleaned))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part of the code before the first dash, used as a category.
    pub fn category(&self) -> &str {
        match self.0.find('-') {
            Some(index) => &self.0[..index],
            None => &self.0,
        }
    }
}

/// Physical position of a bin inside the warehouse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    pub aisle: u8,
    pub shelf: u8,
    pub bin: u8,
}

impl Location {
    pub fn new(aisle: u8, shelf: u8, bin: u8) -> Location {
        Location { aisle, shelf, bin }
    }

    /// Parses labels such as `A04-S2-B11`.
    pub fn parse(label: &str) -> Result<Location, InventoryError> {
        let parts: Vec<&str> = label.trim().split('-').collect();
        if parts.len() != 3 {
            return Err(InventoryError::Parse(format!("bad location: {}", label)));
        }

        let aisle = parse_component(parts[0], 'A', label)?;
        let shelf = parse_component(parts[1], 'S', label)?;
        let bin = parse_component(parts[2], 'B', label)?;
        Ok(Location::new(aisle, shelf, bin))
    }

    pub fn label(&self) -> String {
        format!("A{:02}-S{}-B{:02}", self.aisle, self.shelf, self.bin)
    }

    /// Rough walking distance in metres between two bins. Aisles are
    /// four metres apart and bins are one metre wide.
    pub fn walking_distance(&self, other: &Location) -> u32 {
        let aisle_gap = (self.aisle as i32 - other.aisle as i32).unsigned_abs();
        let bin_gap = (self.bin as i32 - other.bin as i32).unsigned_abs();

        if aisle_gap == 0 {
            return bin_gap;
        }

        let to_aisle_end = self.bin as u32 + other.bin as u32;
        aisle_gap * 4 + to_aisle_end
    }
}

fn parse_component(part: &str, prefix: char, label: &str) -> Result<u8, InventoryError> {
    let upper = part.to_ascii_uppercase();

    let digits = match upper.strip_prefix(prefix) {
        Some(rest) => rest,
        None => return Err(InventoryError::Parse(format!("bad location: {}", label))),
    };

    digits
        .parse::<u8>()
        .map_err(|_| InventoryError::Parse(format!("bad location: {}", label)))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    New,
    Refurbished,
    Damaged,
}

impl Condition {
    pub fn is_sellable(&self) -> bool {
        match self {
            Condition::New | Condition::Refurbished => true,
            Condition::Damaged => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct StockItem {
    pub sku: Sku,
    pub name: String,
    pub unit_cost: Cents,
    pub on_hand: u32,
    pub reserved: u32,
    pub location: Location,
    pub condition: Condition,
}

impl StockItem {
    pub fn new(sku: Sku, name: &str, unit_cost: Cents, location: Location) -> StockItem {
        StockItem {
            sku,
            name: name.to_string(),
            unit_cost,
            on_hand: 0,
            reserved: 0,
            location,
            condition: Condition::New,
        }
    }

    /// Units that can still be promised to new orders.
    pub fn available(&self) -> u32 {
        if !self.condition.is_sellable() {
            return 0;
        }
        self.on_hand.saturating_sub(self.reserved)
    }

    pub fn reserve(&mut self, quantity: u32) -> Result<(), InventoryError> {
        let available = self.available();

        if quantity > available {
            return Err(InventoryError::InsufficientStock {
                sku: self.sku.as_str().to_string(),
                requested: quantity,
                available,
            });
        }

        self.reserved += quantity;
        Ok(())
    }

    pub fn release(&mut self, quantity: u32) {
        let released = quantity.min(self.reserved);
        self.reserved -= released;
    }

    /// Removes reserved units from the shelf when they leave the dock.
    pub fn ship(&mut self, quantity: u32) -> Result<(), InventoryError> {
        if quantity > self.reserved {
            return Err(InventoryError::InvalidQuantity(quantity as i64));
        }
        self.reserved -= quantity;
        self.on_hand -= quantity;
        Ok(())
    }

    pub fn value(&self) -> Cents {
        self.unit_cost * self.on_hand as Cents
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MovementKind {
    Received,
    Shipped,
    Adjusted,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Movement {
    pub sku: Sku,
    pub kind: MovementKind,
    pub quantity: i64,
}

#[derive(Debug, Clone, Default)]
pub struct Warehouse {
    pub name: String,
    items: BTreeMap<Sku, StockItem>,
    movements: Vec<Movement>,
}

impl Warehouse {
    pub fn new(name: &str) -> Warehouse {
        Warehouse {
            name: name.to_string(),
            items: BTreeMap::new(),
            movements: Vec::new(),
        }
    }

    pub fn add_item(&mut self, item: StockItem) -> Result<(), InventoryError> {
        if self.items.contains_key(&item.sku) {
            return Err(InventoryError::DuplicateSku(item.sku.as_str().to_string()));
        }
        self.items.insert(item.sku.clone(), item);
        Ok(())
    }

    pub fn get(&self, sku: &Sku) -> Option<&StockItem> {
        self.items.get(sku)
    }

    pub fn get_mut(&mut self, sku: &Sku) -> Result<&mut StockItem, InventoryError> {
        self.items
            .get_mut(sku)
            .ok_or_else(|| InventoryError::UnknownSku(sku.as_str().to_string()))
    }

    pub fn items(&self) -> impl Iterator<Item = &StockItem> {
        self.items.values()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn receive(&mut self, sku: &Sku, quantity: u32) -> Result<u32, InventoryError> {
        if quantity == 0 {
            return Err(InventoryError::InvalidQuantity(0));
        }
        let item = self.get_mut(sku)?;
        item.on_hand += quantity;
        let on_hand = item.on_hand;

        self.movements.push(Movement {
            sku: sku.clone(),
            kind: MovementKind::Received,
            quantity: quantity as i64,
        });
        Ok(on_hand)
    }

    pub fn reserve(&mut self, sku: &Sku, quantity: u32) -> Result<(), InventoryError> {
        let item = self.get_mut(sku)?;
        item.reserve(quantity)
    }

    pub fn release(&mut self, sku: &Sku, quantity: u32) -> Result<(), InventoryError> {
        let item = self.get_mut(sku)?;
        item.release(quantity);
        Ok(())
    }

    pub fn ship(&mut self, sku: &Sku, quantity: u32) -> Result<(), InventoryError> {
        let item = self.get_mut(sku)?;
        item.ship(quantity)?;

        self.movements.push(Movement {
            sku: sku.clone(),
            kind: MovementKind::Shipped,
            quantity: -(quantity as i64),
        });
        Ok(())
    }

    /// Records the result of a cycle count and returns the difference
    /// between the counted and the expected quantity.
    pub fn adjust_to_count(&mut self, sku: &Sku, counted: u32) -> Result<i64, InventoryError> {
        let item = self.get_mut(sku)?;
        let difference = counted as i64 - item.on_hand as i64;
        if difference == 0 {
            return Ok(0);
        }

        item.on_hand = counted;

        if item.reserved > counted {
            item.reserved = counted;
        }

        self.movements.push(Movement {
            sku: sku.clone(),
            kind: MovementKind::Adjusted,
            quantity: difference,
        });
        Ok(difference)
    }

    pub fn total_value(&self) -> Cents {
        let mut total = 0;
        for item in self.items.values() {
            total += item.value();
        }
        total
    }

    /// Items whose available quantity is at or below the threshold,
    /// ordered from the most critical one.
    pub fn low_stock(&self, threshold: u32) -> Vec<&StockItem> {
        let mut low: Vec<&StockItem> = self
            .items
            .values()
            .filter(|item| item.condition.is_sellable())
            .filter(|item| item.available() <= threshold)
            .collect();

        low.sort_by_key(|item| (item.available(), item.sku.clone()));
        low
    }

    pub fn items_in_aisle(&self, aisle: u8) -> Vec<&StockItem> {
        let mut found = Vec::new();

        for item in self.items.values() {
            if item.location.aisle == aisle {
                found.push(item);
            }
        }

        found.sort_by_key(|item| item.location);
        found
    }

    pub fn movements(&self) -> &[Movement] {
        &self.movements
    }

    /// Net quantity moved per kind, useful for end of day checks.
    pub fn movement_summary(&self) -> (i64, i64, i64) {
        let mut received = 0;
        let mut shipped = 0;
        let mut adjusted = 0;

        for movement in &self.movements {
            match movement.kind {
                MovementKind::Received => received += movement.quantity,
                MovementKind::Shipped => shipped += movement.quantity,
                MovementKind::Adjusted => adjusted += movement.quantity,
            }
        }

        (received, shipped, adjusted)
    }

    pub fn category_totals(&self) -> BTreeMap<String, u32> {
        let mut totals = BTreeMap::new();

        for item in self.items.values() {
            let category = item.sku.category().to_string();
            let entry = totals.entry(category).or_insert(0);
            *entry += item.on_hand;
        }
        totals
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_warehouse() -> Warehouse {
        let mut warehouse = Warehouse::new("North");
        let bolt = Sku::new("bolt-10").unwrap();
        let nut = Sku::new("NUT-4").unwrap();

        warehouse
            .add_item(StockItem::new(
                bolt.clone(),
                "Bolt M10",
                35,
                Location::new(1, 2, 3),
            ))
            .unwrap();
        warehouse
            .add_item(StockItem::new(
                nut.clone(),
                "Nut M4",
                8,
                Location::new(2, 1, 7),
            ))
            .unwrap();
        warehouse.receive(&bolt, 100).unwrap();
        warehouse.receive(&nut, 5).unwrap();
        warehouse
    }

    #[test]
    fn sku_is_normalised_and_validated() {
        let sku = Sku::new("  wash-02 ").unwrap();
        assert_eq!(sku.as_str(), "WASH-02");
        assert_eq!(sku.category(), "WASH");
        assert!(Sku::new("a!").is_err());
        assert!(Sku::new("bad sku").is_err());
    }

    #[test]
    fn location_round_trips_through_label() {
        let location = Location::parse("a04-s2-b11").unwrap();
        assert_eq!(location, Location::new(4, 2, 11));
        assert_eq!(location.label(), "A04-S2-B11");
        assert!(Location::parse("A1-S2").is_err());
    }

    #[test]
    fn walking_distance_depends_on_aisles() {
        let start = Location::new(1, 1, 2);
        let same_aisle = Location::new(1, 3, 9);
        let other_aisle = Location::new(3, 1, 1);

        assert_eq!(start.walking_distance(&same_aisle), 7);
        assert_eq!(start.walking_distance(&other_aisle), 11);
    }

    #[test]
    fn reserve_and_ship_update_counts() {
        let mut warehouse = sample_warehouse();
        let bolt = Sku::new("BOLT-10").unwrap();

        warehouse.reserve(&bolt, 40).unwrap();
        assert_eq!(warehouse.get(&bolt).unwrap().available(), 60);
        warehouse.ship(&bolt, 30).unwrap();

        let item = warehouse.get(&bolt).unwrap();
        assert_eq!(item.on_hand, 70);
        assert_eq!(item.reserved, 10);
        assert!(warehouse.reserve(&bolt, 61).is_err());
    }

    #[test]
    fn cycle_count_records_adjustment() {
        let mut warehouse = sample_warehouse();
        let nut = Sku::new("NUT-4").unwrap();

        let difference = warehouse.adjust_to_count(&nut, 2).unwrap();
        assert_eq!(difference, -3);
        assert_eq!(warehouse.movement_summary(), (105, 0, -3));
    }

    #[test]
    fn low_stock_lists_critical_items_first() {
        let warehouse = sample_warehouse();
        let low = warehouse.low_stock(10);

        assert_eq!(low.len(), 1);
        assert_eq!(low[0].sku.as_str(), "NUT-4");
        assert_eq!(warehouse.total_value(), 100 * 35 + 5 * 8);
    }

    #[test]
    fn duplicate_items_are_rejected() {
        let mut warehouse = sample_warehouse();
        let bolt = Sku::new("BOLT-10").unwrap();
        let again = StockItem::new(bolt, "Bolt again", 1, Location::new(9, 9, 9));

        assert!(warehouse.add_item(again).is_err());
        assert_eq!(warehouse.len(), 2);
        assert_eq!(warehouse.category_totals().get("BOLT"), Some(&100));
    }
}
