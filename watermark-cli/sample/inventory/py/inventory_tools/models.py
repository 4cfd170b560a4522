"""Core data types shared by the inventory tools."""

import enum
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

SKU_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9-]{2,15}$")
CENT = Decimal("0.01")


class InventoryError(Exception):
    """Raised when an inventory operation cannot be completed."""


class Condition(enum.Enum):
    NEW = "new"
    REFURBISHED = "refurbished"
    DAMAGED = "damaged"

    @property
    def sellable(self):
        return self is not Condition.DAMAGED


def money(value):
    """Converts a number or a string to a Decimal rounded to cents."""
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, float):
        amount = Decimal(repr(value))
    else:
        amount = Decimal(str(value))
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def normalize_sku(code):
    cleaned = code.strip().upper()

    if not SKU_PATTERN.match(cleaned):
        raise InventoryError(f"invalid sku: {code!r}")
    return cleaned


def sku_category(sku):
    head, _, _ = sku.partition("-")
    return head


@dataclass(frozen=True, order=True)
class Location:
    aisle: int
    shelf: int
    bin: int

    @classmethod
    def parse(cls, label):
        parts = label.strip().upper().split("-")
        if len(parts) != 3:
            raise InventoryError(f"bad location: {label!r}")

        values = []
        for part, prefix in zip(parts, "ASB"):
            digits = part[1:]
            if not part.startswith(prefix) or not digits.isdigit():
                raise InventoryError(f"bad location: {label!r}")
            values.append(int(digits))
        return cls(*values)

    def label(self):
        return f"A{self.aisle:02d}-S{self.shelf}-B{self.bin:02d}"

    def distance_to(self, other):
        aisle_gap = abs(self.aisle - other.aisle)
        bin_gap = abs(self.bin - other.bin)

        if aisle_gap == 0:
            return bin_gap
        return aisle_gap * 4 + self.bin + other.bin


@dataclass
class Item:
    sku: str
    name: str
    unit_cost: Decimal
    location: Location
    on_hand: int = 0
    reserved: int = 0
    condition: Condition = Condition.NEW
    tags: set = field(default_factory=set)

    def __post_init__(self):
        self.sku = normalize_sku(self.sku)
        self.unit_cost = money(self.unit_cost)

        if self.unit_cost < 0:
            raise InventoryError("unit cost cannot be negative")
        if self.on_hand < 0 or self.reserved < 0:
            raise InventoryError("quantities cannot be negative")

    @property
    def available(self):
        if not self.condition.sellable:
            return 0
        return max(self.on_hand - self.reserved, 0)

    @property
    def category(self):
        return sku_category(self.sku)

    def value(self):
        return money(self.unit_cost * self.on_hand)

    def reserve(self, quantity):
        if quantity <= 0:
            raise InventoryError(f"invalid quantity {quantity}")

        available = self.available

        if quantity > available:
            raise InventoryError(
                f"not enough {self.sku}: requested {quantity}, available {available}"
            )
        self.reserved += quantity
        return self.available

    def release(self, quantity):
        released = min(quantity, self.reserved)
        self.reserved -= released
        return released

    def to_dict(self):
        return {
            "sku": self.sku,
            "name": self.name,
            "unit_cost": str(self.unit_cost),
            "location": self.location.label(),
            "on_hand": self.on_hand,
            "reserved": self.reserved,
            "condition": self.condition.value,
            "tags": sorted(self.tags),
        }

    @classmethod
    def from_dict(cls, data):
        location = Location.parse(data["location"])
        condition = Condition(data.get("condition", "new"))
        tags = set(data.get("tags", []))

        item = cls(
            sku=data["sku"],
            name=data["name"],
            unit_cost=data["unit_cost"],
            location=location,
            condition=condition,
            tags=tags,
        )
        item.on_hand = int(data.get("on_hand", 0))
        item.reserved = int(data.get("reserved", 0))
        return item


class Catalog:
    """Items indexed by sku, with a few convenience lookups."""

    def __init__(self, items=()):
        self._items = {}
        for item in items:
            self.add(item)

    def __len__(self):
        return len(self._items)

    def __iter__(self):
        return iter(sorted(self._items.values(), key=lambda item: item.sku))

    def __contains__(self, sku):
        return normalize_sku(sku) in self._items

    def add(self, item):
        if item.sku in self._items:
            raise InventoryError(f"duplicate sku {item.sku}")

        self._items[item.sku] = item
        return item

    def get(self, sku):
        key = normalize_sku(sku)
        try:
            return self._items[key]
        except KeyError:
            raise InventoryError(f"unknown sku {key}") from None

    def by_category(self):
        groups = {}
        for item in self:
            groups.setdefault(item.category, []).append(item)
        return groups

    def in_aisle(self, aisle):
        found = [item for item in self if item.location.aisle == aisle]
        found.sort(key=lambda item: item.location)
        return found

    def low_stock(self, threshold):
        candidates = []

        for item in self:
            if not item.condition.sellable:
                continue
            if item.available <= threshold:
                candidates.append(item)

        candidates.sort(key=lambda item: (item.available, item.sku))
        return candidates

    def total_value(self):
        total = Decimal("0")

        for item in self:
            total += item.value()
        return money(total)
