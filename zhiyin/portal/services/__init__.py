"""Every change the resident portal makes, one module per purpose: `login` (one-time
codes), `district` (the register, portal settings), `applications`."""
