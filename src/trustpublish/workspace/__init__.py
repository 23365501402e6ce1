"""The project folder: configuration, posts and the content cache, loaded once per process."""
