"""Chapter two_layer_net: the notebook spec, its trusted checks and its catalogue (see :mod:`autograder.chapters`)."""
