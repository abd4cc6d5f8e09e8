"""Test-only TF1 model builders (the zoo, training checkpoints), run in a child process."""
