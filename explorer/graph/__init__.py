"""Step 0, under every other step: what a TF1 graph is made of, read from its protobufs.

Takes ``GraphDef``/``MetaGraphDef`` protobufs; gives facts about them without importing the graph:
the graph index, op families, per-op registries, specs, fast proto reading, walks, name helpers
and what this TensorFlow runtime has.
"""
