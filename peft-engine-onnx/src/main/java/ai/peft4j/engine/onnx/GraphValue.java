package ai.peft4j.engine.onnx;

import ai.peft4j.api.ops.Tensor;

/** A {@link Tensor} that names a value of the graph being traced. */
record GraphValue(String name) implements Tensor {}
