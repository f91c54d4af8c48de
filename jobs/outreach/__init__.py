"""Messages that leave the region: draining the outbox (``outbox``) through its
transports (JSON, e-mail), and the e-mail notifications' steps (``notifications``).
"""
