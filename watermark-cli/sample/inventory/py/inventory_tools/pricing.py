"""Price lists, volume tiers and promotion codes."""

from dataclasses import dataclass, field
from decimal import Decimal

from inventory_tools.models import InventoryError, money, normalize_sku, sku_category

HUNDRED = Decimal("100")


def apply_percent(amount, percent):
    return money(amount * Decimal(str(percent)) / HUNDRED)


def charm_price(price):
    """Rounds up to the next price ending in .99, as in the catalogue."""
    price = money(price)

    if price < 1:
        return price

    whole = int(price)
    return money(Decimal(whole) + Decimal("0.99"))


@dataclass
class PriceRule:
    markup_percent: Decimal = Decimal("40")
    fixed_price: Decimal = None
    tiers: list = field(default_factory=list)

    def unit_price(self, unit_cost, quantity=1):
        if self.fixed_price is not None:
            return money(self.fixed_price)
        base = money(unit_cost) + apply_percent(unit_cost, self.markup_percent)
        discount = self.tier_discount(quantity)

        if discount:
            base -= apply_percent(base, discount)
        return money(base)

    def tier_discount(self, quantity):
        best = 0

        for minimum, percent in self.tiers:
            if quantity >= minimum and percent > best:
                best = percent
        return best

    def describe(self):
        if self.fixed_price is not None:
            return f"fixed {money(self.fixed_price)}"

        text = f"cost + {self.markup_percent}%"

        for minimum, percent in sorted(self.tiers):
            text += f", {minimum}+ less {percent}%"
        return text


@dataclass
class Promotion:
    code: str
    percent: Decimal
    minimum_subtotal: Decimal = Decimal("0")
    category: str = None

    def __post_init__(self):
        self.code = self.code.strip().upper()
        if self.category:
            self.category = self.category.upper()

    def applies_to(self, sku):
        if self.category is None:
            return True
        return sku_category(sku) == self.category

    def discount(self, eligible, subtotal):
        if subtotal < self.minimum_subtotal:
            return money(0)
        return apply_percent(eligible, self.percent)


@dataclass
class QuoteLine:
    sku: str
    description: str
    quantity: int
    unit_price: Decimal

    @property
    def amount(self):
        return money(self.unit_price * self.quantity)


@dataclass
class Quote:
    lines: list = field(default_factory=list)
    subtotal: Decimal = Decimal("0.00")
    discount: Decimal = Decimal("0.00")
    tax: Decimal = Decimal("0.00")

    @property
    def total(self):
        return money(self.subtotal - self.discount + self.tax)

    @property
    def units(self):
        return sum(line.quantity for line in self.lines)

    def as_text(self):
        rows = []

        for line in self.lines:
            rows.append(
                f"{line.sku:<12} {line.quantity:>5} x {line.unit_price:>9}"
                f" = {line.amount:>10}"
            )

        rows.append(f"subtotal {self.subtotal}")

        if self.discount:
            rows.append(f"discount -{self.discount}")
        rows.append(f"tax {self.tax}")
        rows.append(f"total {self.total}")
        return "\n".join(rows) + "\n"


class PriceList:
    def __init__(self, default_markup=40, tax_percent=0, charm=False):
        self.default_rule = PriceRule(markup_percent=Decimal(str(default_markup)))
        self.tax_percent = Decimal(str(tax_percent))
        self.charm = charm
        self._sku_rules = {}
        self._category_rules = {}
        self._promotions = {}

    def set_sku_rule(self, sku, rule):
        self._sku_rules[normalize_sku(sku)] = rule

    def set_category_rule(self, category, rule):
        self._category_rules[category.strip().upper()] = rule

    def add_promotion(self, promotion):
        self._promotions[promotion.code] = promotion

    def rule_for(self, sku):
        key = normalize_sku(sku)
        if key in self._sku_rules:
            return self._sku_rules[key]

        category = sku_category(key)
        return self._category_rules.get(category, self.default_rule)

    def unit_price(self, item, quantity=1):
        rule = self.rule_for(item.sku)
        price = rule.unit_price(item.unit_cost, quantity)

        if self.charm:
            price = charm_price(price)
        return price

    def margin_percent(self, item):
        price = self.unit_price(item)

        if price == 0:
            return Decimal("0.00")
        profit = price - item.unit_cost
        return money(profit * HUNDRED / price)

    def quote(self, lines, promo_code=None):
        """Prices (item, quantity) pairs and applies one promotion."""
        promotion = None
        if promo_code:
            promotion = self._promotions.get(promo_code.strip().upper())
            if promotion is None:
                raise InventoryError(f"unknown promotion {promo_code!r}")

        quote = Quote()
        eligible = Decimal("0")

        for item, quantity in lines:
            if quantity <= 0:
                raise InventoryError(f"invalid quantity {quantity}")
            unit_price = self.unit_price(item, quantity)
            line = QuoteLine(item.sku, item.name, quantity, unit_price)

            quote.lines.append(line)
            quote.subtotal += line.amount
            if promotion and promotion.applies_to(item.sku):
                eligible += line.amount

        if promotion:
            quote.discount = promotion.discount(eligible, quote.subtotal)

        taxable = quote.subtotal - quote.discount
        quote.tax = apply_percent(taxable, self.tax_percent)
        quote.subtotal = money(quote.subtotal)
        return quote
