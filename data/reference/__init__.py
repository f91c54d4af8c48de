"""Stockholm county's reference data as CSV files (see README.md here) and their generator."""
