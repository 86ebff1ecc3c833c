from rest_framework import status

from apps.core.exceptions import DomainError


class PricingError(DomainError):
    code = "PRICE_LIST_INVALID"


class RatePeriodInvalid(PricingError):
    code = "RATE_PERIOD_INVALID"


class RatePeriodsOverlap(PricingError):
    code = "RATE_PERIODS_OVERLAP"


class RatePeriodsGap(PricingError):
    code = "RATE_PERIODS_GAP"


class PriceListInPast(PricingError):
    code = "PRICE_LIST_IN_PAST"
    default_detail = "A price list applies to sessions that start after it is published; valid_from is in the past."


class PriceListNotFound(PricingError):
    code = "PRICE_LIST_NOT_FOUND"
    status_code = status.HTTP_404_NOT_FOUND
    default_detail = "This hall has no price list: each table costs its own hourly rate."
