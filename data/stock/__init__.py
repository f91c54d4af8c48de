"""The stock ledger and lot balances (``ledger``)."""
