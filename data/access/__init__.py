"""Who signs in and what they may do: users and passwords, the role table
(``roles``) and the scope filters (``scope``), browser sessions, API tokens, sign-in limits,
secrets, and the stored answers of retried requests (``idempotency``).
"""
