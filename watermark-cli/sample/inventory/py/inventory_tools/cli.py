"""Command line entry point for analysts.

Run it from the ``py`` directory, for example::

    python3 -m inventory_tools.cli stock
    python3 -m inventory_tools.cli forecast BOLT-M10 --horizon 14

Without arguments the module runs a short self-check on the bundled
sample data.
"""

import argparse
import sys
from datetime import date, timedelta
from decimal import Decimal

from inventory_tools.forecast import Forecaster
from inventory_tools.ledger import StockLedger
from inventory_tools.models import Catalog, InventoryError, Item, Location
from inventory_tools.pricing import PriceList, PriceRule, Promotion
from inventory_tools import reports

SAMPLE_ITEMS = [
    ("BOLT-M10", "Hex bolt M10 x 40", "0.35", "A01-S2-B03"),
    ("NUT-M10", "Hex nut M10", "0.08", "A01-S2-B04"),
    ("WASH-M10", "Flat washer M10", "0.04", "A01-S3-B01"),
    ("GLUE-250", "Wood glue, 250 ml", "3.10", "A04-S1-B07"),
    ("TAPE-50", "Duct tape 50 m", "4.75", "A04-S2-B02"),
    ("DRILL-8", "HSS drill bit 8 mm", "1.90", "A02-S1-B11"),
]

FIRST_DAY = date(2024, 3, 4)


def sample_demand(index, day_number):
    """Deterministic weekly pattern with a slow upward drift."""
    weekday = day_number % 7
    base = 4 + index * 2

    if weekday in (5, 6):
        base = base // 3

    drift = day_number // 10
    wobble = (day_number * (index + 3)) % 4
    return base + drift + wobble


def build_sample(days=42):
    """Builds a catalog and a ledger with a few weeks of history."""
    catalog = Catalog()
    ledger = StockLedger()
    for sku, name, cost, label in SAMPLE_ITEMS:
        item = Item(sku, name, Decimal(cost), Location.parse(label))
        catalog.add(item)
        ledger.receive(sku, 300, item.unit_cost, FIRST_DAY, "opening stock")

    for day_number in range(days):
        day = FIRST_DAY + timedelta(days=day_number)
        for index, item in enumerate(catalog):
            quantity = sample_demand(index, day_number)
            if quantity > 0:
                ledger.issue(item.sku, quantity, day, f"SO-{day_number:03d}")

        if day_number % 14 == 13:
            for index, item in enumerate(catalog):
                cost = item.unit_cost * Decimal("1.02")
                quantity = 12 * (4 + index * 2)
                ledger.receive(item.sku, quantity, cost, day, f"PO-{day_number:03d}")

    for item in catalog:
        item.on_hand = ledger.balance(item.sku)
    return catalog, ledger


def build_price_list():
    prices = PriceList(default_markup=45, tax_percent=8)
    prices.set_category_rule(
        "BOLT", PriceRule(markup_percent=Decimal("60"), tiers=[(100, 5), (500, 12)])
    )
    prices.set_sku_rule("TAPE-50", PriceRule(fixed_price=Decimal("7.49")))

    prices.add_promotion(Promotion("SPRING", Decimal("10"), Decimal("20")))
    prices.add_promotion(Promotion("GLUEDAY", Decimal("15"), category="GLUE"))
    return prices


def last_day(ledger):
    days = [entry.day for entry in ledger.entries_between(date.min, date.max)]
    return max(days) if days else FIRST_DAY


def cmd_stock(args, catalog, ledger, out):
    if args.low is not None:
        items = catalog.low_stock(args.low)
        table = reports.stock_table(items, title=f"Items at or below {args.low}")
    else:
        table = reports.stock_table(catalog)

    out.write(table.to_csv() if args.csv else table.render())
    return 0


def cmd_value(args, catalog, ledger, out):
    prices = build_price_list()
    table = reports.valuation_table(catalog, prices)
    out.write(table.to_csv() if args.csv else table.render())

    fifo_value = ledger.inventory_value()
    out.write(f"FIFO ledger value: {fifo_value}\n")
    return 0


def cmd_forecast(args, catalog, ledger, out):
    item = catalog.get(args.sku)
    end = last_day(ledger)
    start = end - timedelta(days=args.history - 1)
    series = ledger.daily_issues(item.sku, start, end)

    forecaster = Forecaster(holdout=args.holdout)
    result = forecaster.forecast(series, args.horizon)
    out.write(reports.forecast_table(item.sku, result).render())

    point = forecaster.reorder_point(series, args.lead_time)
    out.write(f"Reorder point for {args.lead_time} days lead time: {point}\n")
    if item.on_hand <= point:
        out.write(f"{item.sku} should be reordered now ({item.on_hand} on hand)\n")
    return 0


def cmd_quote(args, catalog, ledger, out):
    prices = build_price_list()
    lines = []
    for spec in args.lines:
        sku, _, quantity_text = spec.partition("=")
        if not quantity_text.isdigit():
            raise InventoryError(f"expected SKU=QTY, got {spec!r}")
        lines.append((catalog.get(sku), int(quantity_text)))

    quote = prices.quote(lines, args.promo)
    out.write(quote.as_text())
    return 0


def cmd_ledger(args, catalog, ledger, out):
    entries = (
        ledger.entries_for(args.sku)
        if args.sku
        else list(ledger.entries_between(date.min, date.max))
    )

    if args.tail:
        entries = entries[-args.tail :]

    table = reports.ledger_table(entries)
    out.write(table.to_csv() if args.csv else table.render())
    return 0


def build_parser():
    parser = argparse.ArgumentParser(prog="inventory-tools")
    parser.add_argument("--days", type=int, default=42, help="days of sample data")
    commands = parser.add_subparsers(dest="command", required=True)

    stock = commands.add_parser("stock", help="list stock on hand")
    stock.add_argument("--low", type=int, help="only items at or below this level")
    stock.add_argument("--csv", action="store_true")
    stock.set_defaults(handler=cmd_stock)

    value = commands.add_parser("value", help="cost and retail valuation")
    value.add_argument("--csv", action="store_true")
    value.set_defaults(handler=cmd_value)

    forecast = commands.add_parser("forecast", help="forecast demand for a sku")
    forecast.add_argument("sku")
    forecast.add_argument("--horizon", type=int, default=7)
    forecast.add_argument("--history", type=int, default=28)
    forecast.add_argument("--holdout", type=int, default=7)
    forecast.add_argument("--lead-time", type=int, default=5)
    forecast.set_defaults(handler=cmd_forecast)

    quote = commands.add_parser("quote", help="price a list of SKU=QTY pairs")
    quote.add_argument("lines", nargs="+")
    quote.add_argument("--promo")
    quote.set_defaults(handler=cmd_quote)

    ledger = commands.add_parser("ledger", help="show ledger entries")
    ledger.add_argument("--sku")
    ledger.add_argument("--tail", type=int, default=20)
    ledger.add_argument("--csv", action="store_true")
    ledger.set_defaults(handler=cmd_ledger)
    return parser


def main(argv=None, out=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    out = out or sys.stdout

    catalog, ledger = build_sample(args.days)

    try:
        return args.handler(args, catalog, ledger, out)
    except InventoryError as error:
        sys.stderr.write(f"error: {error}\n")
        return 2


def _self_check():
    catalog, ledger = build_sample()
    assert len(catalog) == len(SAMPLE_ITEMS)
    assert ledger.balance("BOLT-M10") == catalog.get("bolt-m10").on_hand

    copy = StockLedger.from_csv(ledger.to_csv())
    assert copy.balance("TAPE-50") == ledger.balance("TAPE-50")
    assert not ledger.reconcile({item.sku: item.on_hand for item in catalog})

    prices = build_price_list()
    quote = prices.quote([(catalog.get("BOLT-M10"), 120)], "spring")
    assert quote.total > 0
    assert prices.unit_price(catalog.get("TAPE-50")) == Decimal("7.49")

    end = last_day(ledger)
    series = ledger.daily_issues("GLUE-250", end - timedelta(days=27), end)
    result = Forecaster().forecast(series, 7)
    assert len(result.values) == 7 and result.method in Forecaster().methods()

    for command in (["stock", "--low", "250"], ["value"], ["quote", "NUT-M10=50"]):
        sink = _Sink()
        assert main(command, out=sink) == 0
        assert sink.text


class _Sink:
    def __init__(self):
        self.parts = []

    def write(self, text):
        self.parts.append(text)

    @property
    def text(self):
        return "".join(self.parts)


if __name__ == "__main__":
    if len(sys.argv) > 1:
        sys.exit(main())
    _self_check()
    print("inventory_tools self-check passed")
