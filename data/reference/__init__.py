"""The region and what it is made of: Stockholm county's municipalities, care homes and items.

- the CSV files here (see README.md) and ``generate`` that writes them;
- ``load``: loading them into the database (an upsert by key; nothing is deleted);
- ``admin``: the admin's changes to a care home or an item;
- ``catalogue`` and ``places``: the items, municipalities and care homes as the pages, the API
  and the documents look them up;
- ``identifiers``: organisationsnummer and HSA-id rules; ``region``: the region's own details
  (name, contact, the agency) from the environment.

The delivery routes are reference data too, kept with the logistics (``data.logistics.routes``).
"""
