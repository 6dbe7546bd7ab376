// APIContractTests: placeholder.
