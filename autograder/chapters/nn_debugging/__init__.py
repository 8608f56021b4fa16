"""Chapter nn_debugging: the notebook spec, its trusted checks and its catalogue (see :mod:`autograder.chapters`)."""
