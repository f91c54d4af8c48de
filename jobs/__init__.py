"""The daily cycle: one function per step and what runs them.

- ``steps/``: the steps (close the round, allocate, approve, manifests, escalate, extra rounds).
- ``documents/``: pick lists, delivery notes and requests for support as PDF/CSV/JSON — mapped
  from the records (``from_manifests``, ``from_escalations``), written out and stored.
- ``outreach/``: draining the outbox through its transports (JSON, e-mail) and the notifications.
- ``cli/``: the `fordela` command line — the composition root owning the command table and one
  module per command group.
- ``scheduler`` (the scheduler process), ``worker`` (the web's queued jobs), ``backup``,
  ``demo_cycle`` (the demo day) and ``settings``.
"""
