"""The clip library: scan folders, cut clips into shots, describe, embed and store them."""
