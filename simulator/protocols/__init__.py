"""Sans-I/O protocol engines and their reply catalogues."""
