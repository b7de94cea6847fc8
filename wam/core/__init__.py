"""The shared ground of wam (layer 1 in ARCHITECTURE.md): errors, settings and option
defaults, the cut-list data model and its JSON, the story's sentences, file reading with
limits and safe output writes, signals and child processes. No media, no models; imports
nothing above it."""
