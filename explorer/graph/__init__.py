"""Step 0: what a TF1 graph is made of. Takes ``GraphDef``/``MetaGraphDef`` protobufs; gives facts
without importing the graph: the index, op families, per-op registries, specs, walks, names."""
