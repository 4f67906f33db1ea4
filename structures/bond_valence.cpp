// placeholder: filled by the bond_valence work
