// placeholder: implemented by the DHCP work
