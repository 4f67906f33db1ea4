// placeholder: filled by the mixed_space work
