This file is prose, not JavaScript: a plugin must be a module.
