// PostgresTests: placeholder.
