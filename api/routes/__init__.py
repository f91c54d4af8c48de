"""The REST API's routers, one small module per resource, all under ``/api/v1``."""
