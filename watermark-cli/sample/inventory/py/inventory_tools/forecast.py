"""Demand forecasting for replenishment planning.

The methods are deliberately simple and explainable: the purchasing team
has to be able to check a number with a spreadsheet. The Forecaster
tries each method on a hold-out window and keeps the one with the
smallest error.
"""

import math
from dataclasses import dataclass, field

from inventory_tools.models import InventoryError

# Normal distribution quantiles for common service levels.
SERVICE_FACTORS = [
    (0.50, 0.00),
    (0.80, 0.84),
    (0.85, 1.04),
    (0.90, 1.28),
    (0.95, 1.65),
    (0.97, 1.88),
    (0.98, 2.05),
    (0.99, 2.33),
    (0.999, 3.09),
]


def service_factor(level):
    """Looks up the safety factor for a service level, interpolating
    linearly between the tabulated points."""
    if not 0.5 <= level < 1.0:
        raise InventoryError(f"service level out of range: {level}")
    previous_level, previous_factor = SERVICE_FACTORS[0]
    for table_level, table_factor in SERVICE_FACTORS[1:]:
        if level <= table_level:
            span = table_level - previous_level
            weight = (level - previous_level) / span
            return previous_factor + weight * (table_factor - previous_factor)
        previous_level, previous_factor = table_level, table_factor
    return SERVICE_FACTORS[-1][1]


def mean(values):
    if not values:
        return 0.0
    return sum(values) / len(values)


def standard_deviation(values):
    if len(values) < 2:
        return 0.0

    average = mean(values)
    squares = sum((value - average) ** 2 for value in values)

    return math.sqrt(squares / (len(values) - 1))


def moving_average(series, window, horizon=1):
    """Flat forecast equal to the mean of the last `window` points."""
    if window <= 0:
        raise InventoryError("window must be positive")

    if not series:
        return [0.0] * horizon

    recent = series[-window:]
    level = mean(recent)
    return [level] * horizon


def exponential_smoothing(series, alpha, horizon=1):
    """Simple exponential smoothing; returns a flat forecast."""
    if not 0.0 < alpha <= 1.0:
        raise InventoryError(f"alpha out of range: {alpha}")

    if not series:
        return [0.0] * horizon

    level = float(series[0])
    for value in series[1:]:
        level = alpha * value + (1.0 - alpha) * level
    return [level] * horizon


def holt_linear(series, alpha, beta, horizon=1):
    """Holt's linear trend method. Negative forecasts are clipped to
    zero since demand cannot go below nothing."""
    if len(series) < 2:
        return exponential_smoothing(series or [0], alpha, horizon)
    level = float(series[0])
    trend = float(series[1] - series[0])

    for value in series[1:]:
        previous_level = level
        level = alpha * value + (1.0 - alpha) * (level + trend)
        trend = beta * (level - previous_level) + (1.0 - beta) * trend

    forecast = []
    for step in range(1, horizon + 1):
        forecast.append(max(level + step * trend, 0.0))
    return forecast


def seasonal_indices(series, period):
    """Average ratio of each position in the cycle to the overall mean,
    for example the weekday pattern when period is seven."""
    if period <= 1:
        raise InventoryError("period must be at least two")
    if len(series) < period * 2:
        return [1.0] * period

    overall = mean(series)

    if overall == 0:
        return [1.0] * period

    sums = [0.0] * period
    counts = [0] * period
    for index, value in enumerate(series):
        position = index % period
        sums[position] += value
        counts[position] += 1

    indices = [(sums[i] / counts[i]) / overall for i in range(period)]
    correction = period / sum(indices)
    return [index * correction for index in indices]


def seasonal_naive(series, period, horizon=1):
    """Deseasonalised moving average with the pattern reapplied."""
    indices = seasonal_indices(series, period)
    adjusted = []
    for position, value in enumerate(series):
        factor = indices[position % period] or 1.0
        adjusted.append(value / factor)

    level = mean(adjusted[-period:]) if adjusted else 0.0
    start = len(series)
    forecast = []
    for step in range(horizon):
        forecast.append(level * indices[(start + step) % period])
    return forecast


def mean_absolute_error(actual, predicted):
    if len(actual) != len(predicted):
        raise InventoryError("series have different lengths")

    if not actual:
        return 0.0
    total = sum(abs(a - p) for a, p in zip(actual, predicted))
    return total / len(actual)


def mean_absolute_percentage_error(actual, predicted):
    """MAPE in percent, skipping days without demand."""
    pairs = [(a, p) for a, p in zip(actual, predicted) if a != 0]

    if not pairs:
        return 0.0
    total = 0.0

    for actual_value, predicted_value in pairs:
        total += abs(actual_value - predicted_value) / abs(actual_value)
    return 100.0 * total / len(pairs)


@dataclass
class Forecast:
    method: str
    values: list
    error: float
    errors: dict = field(default_factory=dict)

    @property
    def total(self):
        return sum(self.values)

    def rounded(self):
        return [int(math.ceil(value)) for value in self.values]


class Forecaster:
    """Chooses the forecasting method that did best on recent history."""

    def __init__(self, holdout=7, period=7, alpha=0.3, beta=0.1):
        if holdout <= 0:
            raise InventoryError("holdout must be positive")

        self.holdout = holdout
        self.period = period
        self.alpha = alpha
        self.beta = beta

    def methods(self):
        return {
            "moving_average": lambda s, h: moving_average(s, self.period, h),
            "exponential": lambda s, h: exponential_smoothing(s, self.alpha, h),
            "holt": lambda s, h: holt_linear(s, self.alpha, self.beta, h),
            "seasonal": lambda s, h: seasonal_naive(s, self.period, h),
        }

    def evaluate(self, series):
        """Mean absolute error of every method on the hold-out window."""
        if len(series) <= self.holdout:
            raise InventoryError("series is too short to evaluate")
        training = series[: -self.holdout]
        actual = series[-self.holdout :]

        errors = {}
        for name, method in self.methods().items():
            predicted = method(training, self.holdout)
            errors[name] = round(mean_absolute_error(actual, predicted), 4)
        return errors

    def forecast(self, series, horizon):
        if horizon <= 0:
            raise InventoryError("horizon must be positive")
        if len(series) <= self.holdout:
            values = moving_average(series, self.period, horizon)
            return Forecast("moving_average", values, float("nan"))

        errors = self.evaluate(series)
        best = min(sorted(errors), key=lambda name: errors[name])
        values = self.methods()[best](series, horizon)
        return Forecast(best, values, errors[best], errors)

    def safety_stock(self, series, lead_time_days, service_level=0.95):
        factor = service_factor(service_level)
        deviation = standard_deviation(series)
        buffer = factor * deviation * math.sqrt(lead_time_days)
        return int(math.ceil(buffer))

    def reorder_point(self, series, lead_time_days, service_level=0.95):
        result = self.forecast(series, lead_time_days)
        lead_demand = int(math.ceil(result.total))
        safety = self.safety_stock(series, lead_time_days, service_level)

        return lead_demand + safety
