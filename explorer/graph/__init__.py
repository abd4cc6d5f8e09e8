"""Step 0, under every other step: what a TF1 graph is made of, read from its protobufs.

Takes ``GraphDef``/``MetaGraphDef`` protobufs; gives facts about them without importing the graph:
the one index of a graph's nodes, producers, consumers and functions
(:mod:`~explorer.graph.index`), op-type families as constants (:mod:`~explorer.graph.op_families`),
the per-op extension registries (:mod:`~explorer.graph.registry`), tensor/signature/variable specs
(:mod:`~explorer.graph.specs`), fast protobuf reading for the catalog
(:mod:`~explorer.graph.proto_reader`), walks over the graph (:mod:`~explorer.graph.traversal`), name
and text helpers (:mod:`~explorer.graph.names`) and what this TensorFlow runtime has: devices and
registered ops (:mod:`~explorer.graph.runtime`).
"""
