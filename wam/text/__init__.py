"""The text side of matching (layer 2): sentence encoders (MiniLM, a CLIP-family text
tower), the sentence-embedding cache, keywords, and the candidate scores that blend what a
sentence says with what a shot's words and pictures say."""
