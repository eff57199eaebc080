"""The sample data's vocabularies and column names: what a generated export contains."""

from __future__ import annotations

COMPANY = "Verdemare"

SEGMENTS: tuple[str, ...] = ("B2B", "B2C", "Partners & investors")
FUNCTIONS: tuple[str, ...] = (
    "Sales",
    "Customer service",
    "Delivery & logistics",
    "Billing",
    "Product",
    "Onboarding",
)
TOUCHPOINTS: dict[str, tuple[str, ...]] = {
    "Sales": ("Purchase", "Quote request", "Renewal"),
    "Customer service": ("Support ticket", "Phone call", "Live chat"),
    "Delivery & logistics": ("Delivery", "Order tracking", "Return"),
    "Billing": ("First invoice", "Payment", "Billing query"),
    "Product": ("Product use", "App / website", "Product update"),
    "Onboarding": ("Onboarding call", "Account setup", "Training session"),
}
CHANNELS: tuple[str, ...] = ("email", "SMS", "web", "phone")
SURVEY_TYPES: tuple[str, ...] = ("transactional", "relationship")
REGIONS: tuple[str, ...] = (
    "Nord Italia",
    "Centro-Sud Italia",
    "Île-de-France",
    "Auvergne-Rhône-Alpes",
    "Suisse romande",
    "UK & Ireland",
    "Benelux",
    "DACH",
)
PLANS: tuple[str, ...] = ("Basic", "Plus", "Premium", "Business", "Enterprise")
LANGUAGES: tuple[str, ...] = ("it", "en", "fr")

SCORE_COLUMN = "How likely are you to recommend us to a friend or colleague? (0-10)"
RATING_COLUMNS: tuple[str, ...] = ("rating_speed", "rating_staff", "rating_price", "rating_quality")
CUSTOMER_COLUMNS: tuple[str, ...] = (
    "response_id",
    "customer_id",
    "submitted_at",
    "survey_type",
    "channel",
    "language",
    "segment",
    "plan",
    "region",
    "business_function",
    "touchpoint",
    SCORE_COLUMN,
    *RATING_COLUMNS,
    "company",
    "contact_role",
    "annual_revenue_eur",
    "comment",
)

LEVELS: tuple[str, ...] = ("Front line", "Management", "Executive")
DEPARTMENTS: tuple[str, ...] = (
    "Operations & logistics",
    "Customer service",
    "Sales",
    "Finance & billing",
    "Product & IT",
    "People & admin",
)
SITES: tuple[str, ...] = ("Milano", "Bologna", "Napoli", "Paris", "Lyon", "Remote")
TENURES: tuple[str, ...] = ("< 1 year", "1-3 years", "3-5 years", "5+ years")
EMPLOYEE_RATING_COLUMNS: tuple[str, ...] = (
    "rating_workload",
    "rating_manager",
    "rating_pay",
    "rating_colleagues",
)

CUSTOMERS_FILE = "sample_customers.csv"
EMPLOYEES_FILE = "sample_employees.csv"
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S"


def employee_score_column(company: str = COMPANY) -> str:
    """Return the eNPS question used as the employee score column's header."""
    return f"How likely are you to recommend {company} as a place to work? (0-10)"
