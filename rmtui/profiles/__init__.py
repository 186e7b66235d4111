"""Built-in release profiles shipped with rmtui."""
