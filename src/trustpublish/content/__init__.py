"""Content: what a post is and what may be published of it (model, text, privacy guard)."""
