"""Built-in plugins, one package each, registered through the
``hearthside.plugins`` entry-point group exactly like third-party plugins."""
