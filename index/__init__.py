"""seedqa's index: load, chunk, embed and store documents."""
