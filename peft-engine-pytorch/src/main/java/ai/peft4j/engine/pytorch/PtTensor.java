package ai.peft4j.engine.pytorch;

import ai.djl.ndarray.NDArray;
import ai.peft4j.api.ops.Tensor;

/** A {@link Tensor} backed by an eager NDArray. */
record PtTensor(NDArray array) implements Tensor {}
