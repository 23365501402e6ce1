"""Content: posts read from files, their model, and excerpts cut from them. Pure: data in, data out."""
