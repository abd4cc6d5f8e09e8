"""Step 0, under every other step: facts about TF1 ``GraphDef``/``MetaGraphDef`` protobufs read
without importing the graph: the graph index, op families, per-op registries, specs, fast proto
reading, walks, name helpers and what this TensorFlow runtime has."""
