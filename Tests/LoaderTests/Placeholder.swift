// LoaderTests: placeholder.
