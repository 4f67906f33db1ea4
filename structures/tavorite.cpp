// placeholder: filled by the tavorite work
