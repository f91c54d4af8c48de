"""The system of record: models, migrations, reference data and every query and command on records.

It maps records to and from the allocation core's problem and result; it never commits on its own:
the caller (a request or a job step) owns the transaction (``data.db.session_scope(engine)`` in
jobs and commands). Functions here are keyword-only, take the session first, flush, and write one
audit row per change (``data.audit.record_audit``) in the same transaction. Change functions take
``now`` (an aware datetime; UTC is stored) so that the business clock can be set in tests.

Rooms by domain, each with its commands, queries and the read models its pages need:

- ``reference/``: the region, its municipalities, care homes and items (CSV files beside),
  loading them, the admin's changes, identifiers (organisationsnummer, HSA-id).
- ``needs/``: need reports, acute requests, the municipalities' uploads, daily-use estimates.
- ``rounds/``: the daily round's calendar (open round, cut-off) and which round a page shows.
- ``stock/``: the stock ledger and lot balances.
- ``runs/``: allocation runs — the snapshot the core solves, the policy, storing, editing and
  approving a run, extra rounds, memory of shortfalls.
- ``logistics/``: delivery routes, manifests, dispatch and proof of delivery, stored documents.
- ``escalations/``: requests for support to the national agency.
- ``outreach/``: the outbox of messages that leave the region, e-mail notifications.
- ``overview/``: the read models of the county overview, a municipality's page, follow-up.
- ``access/``: users and passwords, the role table and scope, sessions, tokens, sign-in limits.

The platform beside them: ``settings``, ``db``, ``schema`` (configuration, engines and sessions,
migrations), ``models`` (the ORM tables), ``errors`` (``DataError`` and below), ``audit`` (the
log), ``clock``, ``retry``, ``paging``, ``job_queue`` (the web's queued jobs) and ``demo`` (the
demo round).
"""
