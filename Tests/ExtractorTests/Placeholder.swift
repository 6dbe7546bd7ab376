// ExtractorTests: placeholder.
