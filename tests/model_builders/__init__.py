"""Test-only TF1 model builders: the zoo, the training checkpoints and the hard-to-choose heads
(run in a child process), a Hub module with several signatures, graphs whose feeds must exercise
them (``feed_classes``) and exports loading repairs (``load_repairs``)."""
