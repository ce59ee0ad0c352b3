package ai.peft4j.engine.pytorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.api.ops.Tensor;

/**
 * A {@link Tensor} backed by an eager NDArray, or by a base weight not yet widened to float32:
 * that one is widened on first use in the scope that asked for it, so an embedding can gather
 * its rows from a half-precision or quantized table without widening all of it.
 */
final class PtTensor implements Tensor {
    private NDArray array;
    private final PtBaseWeight weight;
    private final NDManager scope;

    PtTensor(NDArray array) {
        this.array = array;
        this.weight = null;
        this.scope = null;
    }

    private PtTensor(PtBaseWeight weight, NDManager scope) {
        this.weight = weight;
        this.scope = scope;
    }

    /** A base weight widened to float32 in {@code scope} when first read. */
    static PtTensor of(PtBaseWeight weight, NDManager scope) {
        return weight.isFloat32() ? new PtTensor(weight.raw()) : new PtTensor(weight, scope);
    }

    /** The float32 array. */
    NDArray array() {
        if (array == null) {
            array = weight.toFloat32(scope);
        }
        return array;
    }

    /** The base weight behind a tensor not yet widened, else null. */
    PtBaseWeight unwidened() {
        return array == null ? weight : null;
    }
}
