// MappingTests: placeholder.
