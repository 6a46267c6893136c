"""Park: a call waits with music in a numbered slot (the receptionist's "line 3") until
any phone takes it by the slot's code, or it rings its parker back."""
