"""SSDA903, the DfE looked-after-children return: its tables, and reading and writing them."""
