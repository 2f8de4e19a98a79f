// placeholder: implemented by the config loader work
