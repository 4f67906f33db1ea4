// placeholder: filled by the cif work
