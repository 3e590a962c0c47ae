"""Reading and writing files: case folders, SSDA903, postcodes, Ofsted's register, the data standard."""
