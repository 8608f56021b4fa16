"""Chapter specs: the cells of each source notebook (narrative, given code, solutions, tests)."""
