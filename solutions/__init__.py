"""Reference solutions: the same modules and signatures as ``exercises/``, written as d2l teaching code."""
