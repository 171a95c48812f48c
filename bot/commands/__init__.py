"""The command core: declarations, the registry, option parsing and conversion, the dispatcher."""
