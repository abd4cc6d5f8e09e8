"""Test-only TF1 model builders: the zoo and the training checkpoints (run in a child process) and
a Hub module with several signatures."""
