"""The face of Fördela: REST API, web pages and sign-in. Calls data/ and jobs/."""
