"""From the approved run to the door: delivery routes (``routes``), manifests and
pick lists (``manifests``), dispatch and proof of delivery (``deliveries``), the stored
documents and the logistics read models (``reads``).
"""
