"""The only code that opens video files: probing and the decode pass."""
