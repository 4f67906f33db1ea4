// placeholder: filled by the partial-occupancy work
