"""Delivery: the state database (ledger, subscribers), the engine and the email fan-out."""
