"""Hardware drivers: each a small class over its library (gpiozero, sounddevice) with a
simulated twin; the back-end is always passed in, never a process-wide default."""
