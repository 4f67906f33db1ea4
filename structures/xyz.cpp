// placeholder: filled by the xyz work
