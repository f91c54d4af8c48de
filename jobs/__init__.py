"""The daily cycle: one function per step, document rendering, the outbox, the scheduler, the CLI."""
