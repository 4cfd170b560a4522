use crate::error::InventoryError;
use crate::stock::{Location, Sku, Warehouse};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderStatus {
    Open,
    PartiallyAllocated,
    Allocated,
    Shipped,
    Cancelled,
}

impl OrderStatus {
    pub fn is_closed(&self) -> bool {
        match self {
            OrderStatus::Shipped | OrderStatus::Cancelled => true,
            _ => false,
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            OrderStatus::Open => "open",
            OrderStatus::PartiallyAllocated => "partial",
            OrderStatus::Allocated => "allocated",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Cancelled => "cancelled",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrderLine {
    pub sku: Sku,
    pub quantity: u32,
    pub allocated: u32,
}

impl OrderLine {
    pub fn outstanding(&self) -> u32 {
        self.quantity - self.allocated
    }
}

/// One stop on the picker's route through the warehouse.
#[derive(Debug, Clone, PartialEq)]
pub struct PickStep {
    pub location: Location,
    pub sku: Sku,
    pub quantity: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    pub id: u64,
    pub customer: String,
    pub priority: u8,
    lines: Vec<OrderLine>,
    status: OrderStatus,
}

impl Order {
    pub fn new(id: u64, customer: &str) -> Order {
        Order {
            id,
            customer: customer.to_string(),
            priority: 5,
            lines: Vec::new(),
            status: OrderStatus::Open,
        }
    }

    pub fn with_priority(mut self, priority: u8) -> Order {
        self.priority = priority.min(9);
        self
    }

    pub fn status(&self) -> OrderStatus {
        self.status
    }

    pub fn lines(&self) -> &[OrderLine] {
        &self.lines
    }

    /// Adds a line, merging it with an existing line for the same sku.
    pub fn add_line(&mut self, sku: Sku, quantity: u32) -> Result<(), InventoryError> {
        if self.status.is_closed() {
            return Err(InventoryError::OrderClosed(self.id));
        }

        if quantity == 0 {
            return Err(InventoryError::InvalidQuantity(0));
        }

        for line in self.lines.iter_mut() {
            if line.sku == sku {
                line.quantity += quantity;
                self.status = OrderStatus::Open;
                return Ok(());
            }
        }
        self.lines.push(OrderLine {
            sku,
            quantity,
            allocated: 0,
        });
        self.status = OrderStatus::Open;
        Ok(())
    }

    pub fn total_units(&self) -> u32 {
        let mut total = 0;

        for line in &self.lines {
            total += line.quantity;
        }
        total
    }

    pub fn outstanding_units(&self) -> u32 {
        self.lines.iter().map(|line| line.outstanding()).sum()
    }

    /// Reserves as much stock as possible for every line. Lines that
    /// cannot be filled completely get whatever is available.
    pub fn allocate(&mut self, warehouse: &mut Warehouse) -> Result<u32, InventoryError> {
        if self.status.is_closed() {
            return Err(InventoryError::OrderClosed(self.id));
        }
        let mut newly_allocated = 0;

        for line in self.lines.iter_mut() {
            let wanted = line.outstanding();
            if wanted == 0 {
                continue;
            }

            let available = match warehouse.get(&line.sku) {
                Some(item) => item.available(),
                None => return Err(InventoryError::UnknownSku(line.sku.as_str().to_string())),
            };
            let granted = wanted.min(available);
            if granted > 0 {
                warehouse.reserve(&line.sku, granted)?;
                line.allocated += granted;
                newly_allocated += granted;
            }
        }

        self.refresh_status();
        Ok(newly_allocated)
    }

    fn refresh_status(&mut self) {
        let outstanding = self.outstanding_units();
        let total = self.total_units();

        self.status = if outstanding == 0 {
            OrderStatus::Allocated
        } else if outstanding < total {
            OrderStatus::PartiallyAllocated
        } else {
            OrderStatus::Open
        };
    }

    /// Ships a fully allocated order and removes the stock for good.
    pub fn ship(&mut self, warehouse: &mut Warehouse) -> Result<(), InventoryError> {
        if self.status != OrderStatus::Allocated {
            return Err(InventoryError::OrderClosed(self.id));
        }
        for line in &self.lines {
            warehouse.ship(&line.sku, line.allocated)?;
        }

        self.status = OrderStatus::Shipped;
        Ok(())
    }

    /// Cancels the order and gives any reserved stock back.
    pub fn cancel(&mut self, warehouse: &mut Warehouse) -> Result<u32, InventoryError> {
        if self.status.is_closed() {
            return Err(InventoryError::OrderClosed(self.id));
        }

        let mut released = 0;

        for line in self.lines.iter_mut() {
            if line.allocated > 0 {
                warehouse.release(&line.sku, line.allocated)?;
                released += line.allocated;
                line.allocated = 0;
            }
        }
        self.status = OrderStatus::Cancelled;
        Ok(released)
    }

    /// Builds a pick list ordered by a greedy nearest-bin walk that
    /// starts at the packing station.
    pub fn pick_list(&self, warehouse: &Warehouse, start: Location) -> Vec<PickStep> {
        let mut pending: Vec<PickStep> = Vec::new();
        for line in &self.lines {
            if line.allocated == 0 {
                continue;
            }
            if let Some(item) = warehouse.get(&line.sku) {
                pending.push(PickStep {
                    location: item.location,
                    sku: line.sku.clone(),
                    quantity: line.allocated,
                });
            }
        }

        let mut route = Vec::with_capacity(pending.len());
        let mut current = start;
        while !pending.is_empty() {
            let mut best_index = 0;
            let mut best_distance = u32::MAX;

            for (index, step) in pending.iter().enumerate() {
                let distance = current.walking_distance(&step.location);
                if distance < best_distance {
                    best_distance = distance;
                    best_index = index;
                }
            }
            let step = pending.remove(best_index);
            current = step.location;
            route.push(step);
        }
        route
    }
}

/// Allocates a batch of orders, highest priority first and oldest
/// (lowest id) first within the same priority.
pub fn allocate_batch(orders: &mut [Order], warehouse: &mut Warehouse) -> Vec<(u64, u32)> {
    let mut indices: Vec<usize> = (0..orders.len()).collect();
    indices.sort_by_key(|&i| (9 - orders[i].priority, orders[i].id));
    let mut results = Vec::new();

    for index in indices {
        let order = &mut orders[index];
        if order.status().is_closed() {
            continue;
        }
        match order.allocate(warehouse) {
            Ok(units) => results.push((order.id, units)),
            Err(_) => results.push((order.id, 0)),
        }
    }
    results
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stock::StockItem;

    fn setup() -> (Warehouse, Sku, Sku) {
        let mut warehouse = Warehouse::new("Main");
        let bolt = Sku::new("BOLT-10").unwrap();
        let nut = Sku::new("NUT-4").unwrap();

        let bolt_item = StockItem::new(bolt.clone(), "Bolt", 30, Location::new(3, 1, 4));
        let nut_item = StockItem::new(nut.clone(), "Nut", 5, Location::new(1, 1, 2));
        warehouse.add_item(bolt_item).unwrap();
        warehouse.add_item(nut_item).unwrap();
        warehouse.receive(&bolt, 20).unwrap();
        warehouse.receive(&nut, 50).unwrap();
        (warehouse, bolt, nut)
    }

    #[test]
    fn lines_for_same_sku_are_merged() {
        let (_, bolt, _) = setup();
        let mut order = Order::new(1, "Acme");

        order.add_line(bolt.clone(), 3).unwrap();
        order.add_line(bolt, 4).unwrap();
        assert_eq!(order.lines().len(), 1);
        assert_eq!(order.total_units(), 7);
    }

    #[test]
    fn partial_allocation_is_reported() {
        let (mut warehouse, bolt, nut) = setup();
        let mut order = Order::new(2, "Acme");
        order.add_line(bolt, 25).unwrap();
        order.add_line(nut, 10).unwrap();

        let allocated = order.allocate(&mut warehouse).unwrap();
        assert_eq!(allocated, 30);
        assert_eq!(order.status(), OrderStatus::PartiallyAllocated);
        assert_eq!(order.outstanding_units(), 5);
    }

    #[test]
    fn ship_and_cancel_close_the_order() {
        let (mut warehouse, bolt, nut) = setup();
        let mut shipped = Order::new(3, "Acme");
        shipped.add_line(nut.clone(), 10).unwrap();
        shipped.allocate(&mut warehouse).unwrap();
        shipped.ship(&mut warehouse).unwrap();

        let mut cancelled = Order::new(4, "Globex");
        cancelled.add_line(bolt.clone(), 5).unwrap();
        cancelled.allocate(&mut warehouse).unwrap();
        assert_eq!(cancelled.cancel(&mut warehouse).unwrap(), 5);

        assert_eq!(warehouse.get(&nut).unwrap().on_hand, 40);
        assert_eq!(warehouse.get(&bolt).unwrap().available(), 20);
        assert!(shipped.add_line(bolt, 1).is_err());
    }

    #[test]
    fn pick_list_visits_nearest_bin_first() {
        let (mut warehouse, bolt, nut) = setup();
        let mut order = Order::new(5, "Initech");
        order.add_line(bolt, 2).unwrap();
        order.add_line(nut, 2).unwrap();
        order.allocate(&mut warehouse).unwrap();

        let route = order.pick_list(&warehouse, Location::new(1, 1, 0));
        assert_eq!(route.len(), 2);
        assert_eq!(route[0].sku.as_str(), "NUT-4");
    }

    #[test]
    fn batch_allocation_respects_priority() {
        let (mut warehouse, bolt, _) = setup();
        let mut low = Order::new(10, "Low").with_priority(1);
        let mut high = Order::new(11, "High").with_priority(8);
        low.add_line(bolt.clone(), 15).unwrap();
        high.add_line(bolt, 15).unwrap();

        let mut orders = vec![low, high];
        let results = allocate_batch(&mut orders, &mut warehouse);
        assert_eq!(results, vec![(11, 15), (10, 5)]);
    }
}
