"""Stock ledger with FIFO cost layers.

Every receipt creates a cost layer. Issues consume the oldest layers
first, so the cost of goods sold follows the order in which stock was
bought. The ledger also keeps a running balance per sku and can be
reconciled against a physical count.
"""

import csv
import io
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from inventory_tools.models import InventoryError, money, normalize_sku

RECEIPT = "receipt"
ISSUE = "issue"
ADJUSTMENT = "adjustment"
KINDS = (RECEIPT, ISSUE, ADJUSTMENT)


@dataclass
class CostLayer:
    quantity: int
    unit_cost: Decimal
    received_on: date


@dataclass(frozen=True)
class LedgerEntry:
    day: date
    sku: str
    kind: str
    quantity: int
    amount: Decimal
    reference: str
    balance_after: int

    @property
    def signed_quantity(self):
        if self.kind == ISSUE:
            return -self.quantity
        return self.quantity


@dataclass(frozen=True)
class Discrepancy:
    sku: str
    expected: int
    counted: int

    @property
    def difference(self):
        return self.counted - self.expected

    @property
    def is_shortage(self):
        return self.difference < 0


def parse_day(text):
    """Parses ISO dates, accepting a missing leading zero."""
    parts = text.strip().split("-")
    if len(parts) != 3:
        raise InventoryError(f"bad date: {text!r}")
    try:
        year, month, day = (int(part) for part in parts)
    except ValueError:
        raise InventoryError(f"bad date: {text!r}") from None
    return date(year, month, day)


class StockLedger:
    def __init__(self):
        self._entries = []
        self._layers = defaultdict(deque)
        self._balances = defaultdict(int)

    def __len__(self):
        return len(self._entries)

    def skus(self):
        return sorted(self._balances)

    def balance(self, sku):
        return self._balances.get(normalize_sku(sku), 0)

    def receive(self, sku, quantity, unit_cost, day, reference=""):
        key = normalize_sku(sku)
        cost = money(unit_cost)
        if quantity <= 0:
            raise InventoryError(f"receipt quantity must be positive, got {quantity}")

        if cost < 0:
            raise InventoryError("unit cost cannot be negative")

        self._layers[key].append(CostLayer(quantity, cost, day))
        self._balances[key] += quantity
        amount = money(cost * quantity)

        return self._record(day, key, RECEIPT, quantity, amount, reference)

    def issue(self, sku, quantity, day, reference=""):
        """Removes stock and returns the FIFO cost of what was issued."""
        key = normalize_sku(sku)
        if quantity <= 0:
            raise InventoryError(f"issue quantity must be positive, got {quantity}")

        available = self._balances.get(key, 0)

        if quantity > available:
            raise InventoryError(
                f"cannot issue {quantity} of {key}, only {available} on hand"
            )

        cost = self._consume_layers(key, quantity)
        self._balances[key] -= quantity
        self._record(day, key, ISSUE, quantity, cost, reference)
        return cost

    def _consume_layers(self, key, quantity):
        layers = self._layers[key]
        remaining = quantity
        cost = Decimal("0")

        while remaining > 0:
            layer = layers[0]
            taken = min(layer.quantity, remaining)
            cost += layer.unit_cost * taken
            layer.quantity -= taken
            remaining -= taken

            if layer.quantity == 0:
                layers.popleft()
        return money(cost)

    def adjust(self, sku, counted, day, reason="cycle count"):
        """Sets the balance to a counted quantity.

        Gains are valued at the current average cost, losses are taken
        from the oldest layers like a normal issue.
        """
        key = normalize_sku(sku)
        current = self._balances.get(key, 0)
        difference = counted - current

        if difference == 0:
            return None

        if difference < 0:
            amount = -self._consume_layers(key, -difference)
        else:
            unit_cost = self.average_cost(key)
            self._layers[key].append(CostLayer(difference, unit_cost, day))
            amount = money(unit_cost * difference)
        self._balances[key] = counted
        return self._record(day, key, ADJUSTMENT, difference, amount, reason)

    def _record(self, day, key, kind, quantity, amount, reference):
        entry = LedgerEntry(
            day=day,
            sku=key,
            kind=kind,
            quantity=quantity,
            amount=amount,
            reference=reference,
            balance_after=self._balances[key],
        )
        self._entries.append(entry)
        return entry

    def average_cost(self, sku):
        key = normalize_sku(sku)
        layers = self._layers.get(key)
        if not layers:
            return Decimal("0.00")

        units = sum(layer.quantity for layer in layers)
        total = sum(layer.unit_cost * layer.quantity for layer in layers)

        if units == 0:
            return Decimal("0.00")
        return money(total / units)

    def inventory_value(self, sku=None):
        if sku is not None:
            keys = [normalize_sku(sku)]
        else:
            keys = list(self._layers)

        total = Decimal("0")
        for key in keys:
            for layer in self._layers.get(key, ()):
                total += layer.unit_cost * layer.quantity
        return money(total)

    def entries_for(self, sku):
        key = normalize_sku(sku)
        return [entry for entry in self._entries if entry.sku == key]

    def entries_between(self, first_day, last_day):
        selected = []
        for entry in self._entries:
            if first_day <= entry.day <= last_day:
                selected.append(entry)
        return selected

    def daily_issues(self, sku, first_day, last_day):
        """Units issued per day, including zero days, for forecasting."""
        if last_day < first_day:
            raise InventoryError("last day is before first day")

        key = normalize_sku(sku)
        span = (last_day - first_day).days + 1
        series = [0] * span

        for entry in self._entries:
            if entry.sku != key or entry.kind != ISSUE:
                continue
            if first_day <= entry.day <= last_day:
                series[(entry.day - first_day).days] += entry.quantity
        return series

    def cost_of_goods_sold(self, first_day, last_day):
        total = Decimal("0")
        for entry in self.entries_between(first_day, last_day):
            if entry.kind == ISSUE:
                total += entry.amount
        return money(total)

    def turnover(self, sku, first_day, last_day):
        """Units issued divided by the average balance over the period."""
        key = normalize_sku(sku)
        issued = sum(self.daily_issues(key, first_day, last_day))
        balances = self._balances_by_day(key, first_day, last_day)

        average_balance = sum(balances) / len(balances)

        if average_balance == 0:
            return 0.0
        return round(issued / average_balance, 2)

    def _balances_by_day(self, key, first_day, last_day):
        history = {}

        for entry in self._entries:
            if entry.sku == key:
                history[entry.day] = entry.balance_after

        current = 0

        for entry_day in sorted(history):
            if entry_day < first_day:
                current = history[entry_day]

        balances = []
        day = first_day

        while day <= last_day:
            current = history.get(day, current)
            balances.append(current)
            day += timedelta(days=1)
        return balances

    def reconcile(self, counts):
        """Compares physical counts with the ledger balances."""
        discrepancies = []
        seen = set()

        for sku, counted in counts.items():
            key = normalize_sku(sku)
            seen.add(key)
            expected = self._balances.get(key, 0)
            if expected != counted:
                discrepancies.append(Discrepancy(key, expected, counted))

        for key in self.skus():
            if key not in seen and self._balances[key] != 0:
                discrepancies.append(Discrepancy(key, self._balances[key], 0))
        discrepancies.sort(key=lambda item: (item.difference, item.sku))
        return discrepancies

    def to_csv(self):
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["day", "sku", "kind", "quantity", "amount", "reference"])

        for entry in self._entries:
            writer.writerow(
                [
                    entry.day.isoformat(),
                    entry.sku,
                    entry.kind,
                    entry.quantity,
                    str(entry.amount),
                    entry.reference,
                ]
            )
        return buffer.getvalue()

    @classmethod
    def from_csv(cls, text):
        """Rebuilds a ledger by replaying an exported CSV file."""
        ledger = cls()
        reader = csv.DictReader(io.StringIO(text))

        for row in reader:
            day = parse_day(row["day"])
            kind = row["kind"]
            quantity = int(row["quantity"])
            reference = row.get("reference", "")

            if kind == RECEIPT:
                unit_cost = Decimal(row["amount"]) / quantity
                ledger.receive(row["sku"], quantity, unit_cost, day, reference)
            elif kind == ISSUE:
                ledger.issue(row["sku"], quantity, day, reference)
            elif kind == ADJUSTMENT:
                target = ledger.balance(row["sku"]) + quantity
                ledger.adjust(row["sku"], target, day, reference)
            else:
                raise InventoryError(f"unknown entry kind {kind!r}")
        return ledger
