// placeholder: filled by the elements work
