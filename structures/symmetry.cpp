// placeholder: filled by the symmetry work
