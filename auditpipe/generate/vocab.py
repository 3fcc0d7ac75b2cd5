"""Word lists the generator draws from: data fields, parties, purposes, user agents.

No value contains a double quote, a backslash or a newline, so JSON and CSV rendering only
has to quote, never escape (tests parse every good line back to check it).
"""

from __future__ import annotations

# Data fields by what the default catalog (schemas/data_catalog.json) makes of them.
IDENTITY = ("real_name", "id_number", "id_card_number", "mobile_number", "phone_number",
            "phone", "mobile", "passport_number", "face_image", "id_photo")  # fmt: skip
LOGIN_RECORD = ("login_ip", "login_time", "login_history", "login_device")
CREDENTIAL = ("password", "password_hash", "session_token", "access_token", "refresh_token",
              "otp_secret", "security_answer")  # fmt: skip
# Not in the catalog: class "other", never protected.
OTHER = ("nickname", "avatar_url", "post_content", "order_history", "purchase_history", "email",
         "follower_count", "ad_clicks", "app_usage", "device_model", "bandwidth_usage",
         "billing_address", "page_views", "data_plan")  # fmt: skip

SERVICE_ACCOUNTS = ("svc-auth", "svc-backup", "svc-risk-engine", "svc-search-indexer", "svc-radius")

# Legitimate recipients of authorised transfers (court orders, couriers, payment partners).
LAWFUL_PARTIES = ("city-police-bureau", "district-court", "courier-co", "payment-gateway-co",
                  "telecom-regulator")  # fmt: skip
AD_NETWORKS = ("adnet-one", "adnet-two", "metrics-hub")
PERSONAL_DESTINATIONS = ("personal-cloud-drive", "user-email-export")
PUBLIC_PLACES = ("public-timeline", "forum-front-page")

# Destination parties only planted breaches use (background traffic never names them).
BUYERS = ("datahub-trading", "leadgen-co", "grey-market-buyer", "quick-loan-app")
DISCLOSURE_PARTIES = ("marketing-partner", "analytics-vendor", "unknown-recipient")
BROKER = "shadowlist-data"  # written to _expected/brokers.txt

PURPOSES = ("customer support ticket", "account recovery", "fraud investigation",
            "identity verification", "客服工单", "legal request", "billing dispute")  # fmt: skip
AUTH_PREFIXES = ("TKT-", "CONSENT-", "LO-2026-")
USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "okhttp/4.12.0",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/123.0 Mobile",
    "internal-admin-console/3.2",
    "curl/8.5.0",
)
LISTING_SITE = "classified-ads-board"  # a public place where planted sales list data
