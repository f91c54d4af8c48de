"""The daily cycle: its steps, documents (PDF/CSV), the outbox, the scheduler and the CLI."""
