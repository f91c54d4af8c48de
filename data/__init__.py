"""The system of record: models, migrations, reference data and every query and command on records.

It maps records to and from the allocation core's problem and result; it never commits on its own:
the caller (a request or a job step) owns the transaction (``data.db.session_scope(engine)`` in
jobs and commands). Functions here are keyword-only, take the session first, flush, and write one
audit row per change (``data.audit.record_audit``) in the same transaction. Change functions take
``now`` (an aware datetime; UTC is stored) so that the business clock can be set in tests.

- ``settings``, ``db``, ``schema``: configuration, engines and sessions, migrations.
- ``models``: the ORM tables; ``errors``: the exceptions (``DataError`` and below).
- ``reference_data``: Stockholm county's municipalities, care homes and items (CSV under
  ``reference/``); ``identifiers``: organisationsnummer and HSA-id rules.
- ``rounds``: the open round and cut-off on the Europe/Stockholm clock; ``needs``: need reports.
- ``stock``: the stock ledger and balances; ``users``: users and passwords; ``audit``: the log.
- ``demo``: the demo round; ``summary``: a round's headline figures.
"""
