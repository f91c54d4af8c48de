"""The system of record: models, migrations, reference data and every query and command on records.

It maps records to and from the allocation core's problem and result; it never commits on its own:
the caller (a request or a job step) owns the transaction.
"""
