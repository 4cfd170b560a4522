use crate::pricing::PriceBook;
use crate::reorder::ReorderSuggestion;
use crate::stock::Warehouse;
use crate::{format_cents, Cents};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub title: String,
    pub align: Align,
    pub min_width: usize,
}

/// A simple table that can be printed for humans or exported as CSV.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub title: String,
    columns: Vec<Column>,
    rows: Vec<Vec<String>>,
    footer: Vec<String>,
}

impl Report {
    pub fn new(title: &str) -> Report {
        Report {
            title: title.to_string(),
            columns: Vec::new(),
            rows: Vec::new(),
            footer: Vec::new(),
        }
    }

    pub fn column(mut self, title: &str, align: Align) -> Report {
        self.columns.push(Column {
            title: title.to_string(),
            align,
            min_width: title.len(),
        });
        self
    }

    pub fn add_row(&mut self, cells: Vec<String>) {
        let mut row = cells;

        while row.len() < self.columns.len() {
            row.push(String::new());
        }

        row.truncate(self.columns.len());
        self.rows.push(row);
    }

    pub fn add_footer(&mut self, line: &str) {
        self.footer.push(line.to_string());
    }

    pub fn row_count(&self) -> usize {
        self.rows.len()
    }

    fn widths(&self) -> Vec<usize> {
        let mut widths: Vec<usize> = self.columns.iter().map(|c| c.min_width).collect();

        for row in &self.rows {
            for (index, cell) in row.iter().enumerate() {
                if cell.len() > widths[index] {
                    widths[index] = cell.len();
                }
            }
        }
        widths
    }

    pub fn render_text(&self) -> String {
        let widths = self.widths();
        let mut output = String::new();
        output.push_str(&self.title);
        output.push('\n');

        let header: Vec<String> = self.columns.iter().map(|c| c.title.clone()).collect();
        output.push_str(&self.render_line(&header, &widths));
        let rule_width: usize = widths.iter().sum::<usize>() + 2 * widths.len().saturating_sub(1);
        output.push_str(&"-".repeat(rule_width));
        output.push('\n');

        for row in &self.rows {
            output.push_str(&self.render_line(row, &widths));
        }
        for line in &self.footer {
            output.push_str(line);
            output.push('\n');
        }

        output
    }

    fn render_line(&self, cells: &[String], widths: &[usize]) -> String {
        let mut parts = Vec::with_capacity(cells.len());
        for (index, cell) in cells.iter().enumerate() {
            let align = self.columns[index].align;
            parts.push(pad(cell, widths[index], align));
        }

        let mut line = parts.join("  ");
        let trimmed_length = line.trim_end().len();
        line.truncate(trimmed_length);
        line.push('\n');
        line
    }

    pub fn render_csv(&self) -> String {
        let mut output = String::new();
        let header: Vec<String> = self.columns.iter().map(|c| csv_escape(&c.title)).collect();
        output.push_str(&header.join(","));
        output.push('\n');

        for row in &self.rows {
            let escaped: Vec<String> = row.iter().map(|cell| csv_escape(cell)).collect();
            output.push_str(&escaped.join(","));
            output.push('\n');
        }
        output
    }
}

fn pad(text: &str, width: usize, align: Align) -> String {
    let missing = width.saturating_sub(text.len());
    let filler = " ".repeat(missing);

    match align {
        Align::Left => format!("{}{}", text, filler),
        Align::Right => format!("{}{}", filler, text),
    }
}

fn csv_escape(value: &str) -> String {
    let needs_quotes = value.contains(',') || value.contains('"') || value.contains('\n');
    if !needs_quotes {
        return value.to_string();
    }

    let doubled = value.replace('"', "\"\"");
    format!("\"{}\"", doubled)
}

/// Stock on hand per item, sorted by location for the floor team.
pub fn stock_report(warehouse: &Warehouse) -> Report {
    let mut report = Report::new(&format!("Stock at {}", warehouse.name))
        .column("Location", Align::Left)
        .column("SKU", Align::Left)
        .column("Name", Align::Left)
        .column("On hand", Align::Right)
        .column("Reserved", Align::Right)
        .column("Available", Align::Right);

    let mut items: Vec<_> = warehouse.items().collect();
    items.sort_by_key(|item| item.location);
    for item in &items {
        report.add_row(vec![
            item.location.label(),
            item.sku.as_str().to_string(),
            item.name.clone(),
            item.on_hand.to_string(),
            item.reserved.to_string(),
            item.available().to_string(),
        ]);
    }

    let total_units: u32 = items.iter().map(|item| item.on_hand).sum();
    report.add_footer(&format!("{} items, {} units", items.len(), total_units));
    report
}

/// Cost and retail value of the stock, with the margin per item.
pub fn valuation_report(warehouse: &Warehouse, prices: &PriceBook) -> Report {
    let mut report = Report::new("Stock valuation")
        .column("SKU", Align::Left)
        .column("Units", Align::Right)
        .column("Cost value", Align::Right)
        .column("Retail value", Align::Right)
        .column("Margin %", Align::Right);
    let mut total_cost: Cents = 0;
    let mut total_retail: Cents = 0;

    for item in warehouse.items() {
        let retail = prices.unit_price(item, 1) * item.on_hand as Cents;
        let margin = prices.margin(item);
        total_cost += item.value();
        total_retail += retail;

        report.add_row(vec![
            item.sku.as_str().to_string(),
            item.on_hand.to_string(),
            format_cents(item.value()),
            format_cents(retail),
            format!("{}.{:02}", margin / 100, margin % 100),
        ]);
    }

    report.add_footer(&format!("Total cost value: {}", format_cents(total_cost)));
    report.add_footer(&format!(
        "Total retail value: {}",
        format_cents(total_retail)
    ));
    report
}

pub fn reorder_report(suggestions: &[ReorderSuggestion]) -> Report {
    let mut report = Report::new("Reorder suggestions")
        .column("SKU", Align::Left)
        .column("Available", Align::Right)
        .column("Reorder at", Align::Right)
        .column("Order qty", Align::Right)
        .column("Cost", Align::Right)
        .column("Flag", Align::Left);

    for suggestion in suggestions {
        let flag = if suggestion.urgent { "URGENT" } else { "" };
        report.add_row(vec![
            suggestion.sku.as_str().to_string(),
            suggestion.available.to_string(),
            suggestion.reorder_point.to_string(),
            suggestion.quantity.to_string(),
            format_cents(suggestion.estimated_cost),
            flag.to_string(),
        ]);
    }

    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stock::{Location, Sku, StockItem};

    fn warehouse() -> Warehouse {
        let mut warehouse = Warehouse::new("Depot");
        let sku = Sku::new("GLUE-1").unwrap();
        let item = StockItem::new(sku.clone(), "Glue, 250ml", 400, Location::new(2, 1, 5));

        warehouse.add_item(item).unwrap();
        warehouse.receive(&sku, 12).unwrap();
        warehouse
    }

    #[test]
    fn text_table_aligns_columns() {
        let mut report = Report::new("Demo")
            .column("Name", Align::Left)
            .column("Qty", Align::Right);
        report.add_row(vec![String::from("washer"), String::from("7")]);
        report.add_row(vec![String::from("nut")]);

        let text = report.render_text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[1], "Name    Qty");
        assert_eq!(lines[3], "washer    7");
        assert_eq!(lines[4], "nut");
    }

    #[test]
    fn csv_quotes_cells_with_commas() {
        let report = stock_report(&warehouse());
        let csv = report.render_csv();

        assert!(csv.contains("\"Glue, 250ml\""));
        assert_eq!(csv.lines().count(), 2);
        assert!(report.render_text().contains("1 items, 12 units"));
    }

    #[test]
    fn valuation_includes_totals() {
        let prices = PriceBook::new(2500, 0);
        let report = valuation_report(&warehouse(), &prices);
        let text = report.render_text();

        assert_eq!(report.row_count(), 1);
        assert!(text.contains("Total cost value: 48.00"));
        assert!(text.contains("Total retail value: 60.00"));
        assert!(text.contains("20.00"));
    }
}
