// placeholder: filled by the poscar work
