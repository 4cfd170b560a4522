"""Back office helpers for the warehouse inventory system.

The package mirrors the Rust core closely enough for analysts to run
ad-hoc checks: a stock ledger with FIFO costing, demand forecasting,
price lists and plain-text reports.
"""

from inventory_tools.models import (
    Condition,
    InventoryError,
    Item,
    Location,
    money,
)
from inventory_tools.ledger import StockLedger
from inventory_tools.forecast import Forecaster
from inventory_tools.pricing import PriceList, Promotion

__version__ = "0.3.1"

__all__ = [
    "Condition",
    "Forecaster",
    "InventoryError",
    "Item",
    "Location",
    "PriceList",
    "Promotion",
    "StockLedger",
    "money",
]
