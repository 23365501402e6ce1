"""Rendering: digest emails, feeds, social text and the preview site. Data in, bytes out."""
