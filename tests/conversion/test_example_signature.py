"""A pipeline that parses tf.Example gives the converted model an ``examples`` signature."""

from __future__ import annotations

import numpy as np

import explorer


def _examples(n: int) -> np.ndarray:
    from explorer._tf import tf

    tf = tf()
    rng = np.random.default_rng(2)
    out = []
    for _ in range(n):
        feature = {
            "pixels": tf.train.Feature(float_list=tf.train.FloatList(value=rng.normal(size=8))),
            "age": tf.train.Feature(
                float_list=tf.train.FloatList(value=[float(rng.uniform(0, 90))])
            ),
        }
        out.append(tf.train.Example(features=tf.train.Features(feature=feature)))
    return np.array([e.SerializeToString() for e in out], dtype=object)


def test_examples_signature_parses_what_the_pipeline_parsed(training_graphs):
    from explorer._tf import tf
    from explorer.conversion.build import parse_spec

    model = explorer.load(training_graphs["tfdata"])
    v2 = explorer.convert(model)
    assert set(v2.signatures) == {"serving_default", "examples"}
    spec = parse_spec(model, v2.signature("serving_default").inputs)
    assert {k: v[0] for k, v in spec.items()} == {"age": "age", "pixels": "pixels"}
    assert v2.signature("examples").inputs["examples"].dtype == "string"
    examples = _examples(3)
    parsed = tf().io.parse_example(
        examples,
        {
            "pixels": tf().io.FixedLenFeature([8], tf().float32),
            "age": tf().io.FixedLenFeature([1], tf().float32),
        },
    )
    by_features = v2("serving_default", **parsed)["probabilities"]
    by_examples = v2("examples", examples=examples)["probabilities"]
    np.testing.assert_array_equal(by_examples, by_features)


def test_models_without_a_parsing_pipeline_get_no_examples_signature(training_graphs):
    v2 = explorer.convert(explorer.load(training_graphs["gan"]))
    assert set(v2.signatures) == {"serving_default"}
