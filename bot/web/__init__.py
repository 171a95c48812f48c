"""Public web pages the bot serves from its HTTP server: HTML from the Markdown subset, a page
shell with our own stylesheet, and cache validators. Knows nothing about any feature."""
