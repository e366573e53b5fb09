"""Ready-made Seldon components (stock nodes) usable from graph files with `stock: NAME`."""
