"""Plain-text and CSV tables for the operations team."""

import csv
import io
from decimal import Decimal

from inventory_tools.models import money

LEFT = "left"
RIGHT = "right"


class Table:
    def __init__(self, title):
        self.title = title
        self.columns = []
        self.rows = []
        self.footer = []

    def column(self, title, align=LEFT):
        self.columns.append((title, align))
        return self

    def add_row(self, *cells):
        row = [str(cell) for cell in cells]
        missing = len(self.columns) - len(row)
        if missing > 0:
            row.extend([""] * missing)

        self.rows.append(row[: len(self.columns)])

    def add_footer(self, line):
        self.footer.append(line)

    def widths(self):
        widths = [len(title) for title, _ in self.columns]

        for row in self.rows:
            for index, cell in enumerate(row):
                widths[index] = max(widths[index], len(cell))
        return widths

    def _line(self, cells, widths):
        parts = []
        for index, cell in enumerate(cells):
            align = self.columns[index][1]
            if align == RIGHT:
                parts.append(cell.rjust(widths[index]))
            else:
                parts.append(cell.ljust(widths[index]))
        return "  ".join(parts).rstrip()

    def render(self):
        widths = self.widths()
        header = [title for title, _ in self.columns]
        rule = "-" * (sum(widths) + 2 * max(len(widths) - 1, 0))

        lines = [self.title, self._line(header, widths), rule]
        for row in self.rows:
            lines.append(self._line(row, widths))
        lines.extend(self.footer)
        return "\n".join(lines) + "\n"

    def to_csv(self):
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([title for title, _ in self.columns])

        for row in self.rows:
            writer.writerow(row)
        return buffer.getvalue()


def stock_table(catalog, title="Stock on hand"):
    table = Table(title)
    table.column("Location").column("SKU").column("Name")
    table.column("On hand", RIGHT).column("Reserved", RIGHT)
    table.column("Available", RIGHT)

    items = sorted(catalog, key=lambda item: item.location)
    for item in items:
        table.add_row(
            item.location.label(),
            item.sku,
            item.name,
            item.on_hand,
            item.reserved,
            item.available,
        )

    units = sum(item.on_hand for item in items)
    table.add_footer(f"{len(items)} items, {units} units")
    return table


def valuation_table(catalog, price_list):
    table = Table("Stock valuation")
    table.column("SKU").column("Units", RIGHT).column("Cost value", RIGHT)
    table.column("Retail value", RIGHT).column("Margin %", RIGHT)
    total_cost = Decimal("0")
    total_retail = Decimal("0")

    for item in catalog:
        retail = money(price_list.unit_price(item) * item.on_hand)
        margin = price_list.margin_percent(item)
        total_cost += item.value()
        total_retail += retail
        table.add_row(item.sku, item.on_hand, item.value(), retail, margin)

    table.add_footer(f"Total cost value: {money(total_cost)}")
    table.add_footer(f"Total retail value: {money(total_retail)}")
    return table


def ledger_table(entries, title="Ledger"):
    table = Table(title)
    table.column("Day").column("SKU").column("Kind")
    table.column("Qty", RIGHT).column("Amount", RIGHT).column("Balance", RIGHT)
    table.column("Reference")

    for entry in entries:
        table.add_row(
            entry.day.isoformat(),
            entry.sku,
            entry.kind,
            entry.signed_quantity,
            entry.amount,
            entry.balance_after,
            entry.reference,
        )
    return table


def discrepancy_table(discrepancies):
    table = Table("Count discrepancies")
    table.column("SKU").column("Expected", RIGHT).column("Counted", RIGHT)
    table.column("Difference", RIGHT)
    shortages = 0

    for item in discrepancies:
        sign = "+" if item.difference > 0 else ""
        table.add_row(item.sku, item.expected, item.counted, f"{sign}{item.difference}")
        if item.is_shortage:
            shortages += 1
    table.add_footer(f"{len(discrepancies)} discrepancies, {shortages} shortages")
    return table


def forecast_table(sku, result):
    table = Table(f"Forecast for {sku} ({result.method})")
    table.column("Day", RIGHT).column("Units", RIGHT)

    for day, units in enumerate(result.rounded(), start=1):
        table.add_row(day, units)

    if result.errors:
        ranking = sorted(result.errors.items(), key=lambda pair: pair[1])
        summary = ", ".join(f"{name}={error}" for name, error in ranking)
        table.add_footer(f"Hold-out MAE: {summary}")

    table.add_footer(f"Total: {sum(result.rounded())} units")
    return table
