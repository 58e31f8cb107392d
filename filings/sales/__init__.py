"""Marked-fuel (TEFS) sales and fuel movements and the one ingestion path every door uses (issue 14, items 3, 4,
6, 7): the web forms, a browser upload, the SFTP inbox. models.py holds the records, formats.py the file formats,
ingestion.py the services, ingestion_sql.py the set-based validation and store, selectors.py the reads."""
