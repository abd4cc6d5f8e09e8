"""Test-only TF1 model builders: the zoo, the training checkpoints and the hard-to-choose heads
(run in a child process) and a Hub module with several signatures."""
