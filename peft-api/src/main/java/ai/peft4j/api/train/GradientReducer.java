package ai.peft4j.api.train;

/**
 * How the {@link Trainer} combines one update across data-parallel workers. Each worker runs the
 * same trainer over the same data and computes only its {@linkplain #shard shard} of every
 * micro-batch; {@link #reduce} sums the workers' {@link GradientSums}, and every worker then
 * applies the same normalisation, clipping and optimizer step, so all replicas stay identical.
 * Only the worker of {@linkplain #rank rank} 0 writes checkpoints and the final adapter.
 *
 * <p>The default, {@link #SINGLE_PROCESS}, is one worker: the identity, and the trainer behaves
 * exactly as without it. An implementation over Spark's {@code BarrierTaskContext.allGather} is
 * {@code ai.peft4j.spark.BarrierGradientReducer} in {@code examples/spark}; a ring all-reduce
 * (MPI, NCCL or Gloo) fits the same interface.
 *
 * <p>Contract: {@code reduce} is called once per update by every worker, in the same order, and
 * returns the element-wise sum over all workers, bit-identical on every worker (sum in rank
 * order, not in arrival order). The gradient maps have the same keys in the same order on every
 * worker.
 *
 * <pre>{@code
 * GradientReducer reducer = new BarrierGradientReducer(BarrierTaskContext.get());
 * Trainer trainer = new Trainer(model, TrainingConfig.builder().optGradientReducer(reducer).build());
 * }</pre>
 */
public interface GradientReducer {
    /** One worker: no sharding, {@link #reduce} returns its argument. */
    GradientReducer SINGLE_PROCESS = new GradientReducer() {
        @Override
        public int rank() {
            return 0;
        }

        @Override
        public int worldSize() {
            return 1;
        }

        @Override
        public GradientSums reduce(GradientSums local) {
            return local;
        }

        @Override
        public String toString() {
            return "single-process";
        }
    };

    /** This worker's index, 0 to {@code worldSize() - 1}. */
    int rank();

    /** The number of workers. */
    int worldSize();

    /** The sums over every worker (see the contract above). */
    GradientSums reduce(GradientSums local);

    /**
     * The rows of a micro-batch this worker computes: every {@code worldSize}-th example starting
     * at {@code rank} (strided, so length-sorted batches split evenly). May be empty when the
     * batch has fewer rows than workers; the worker then contributes zeros.
     */
    default int[] shard(int[] batch) {
        int world = worldSize();
        if (world == 1) {
            return batch;
        }
        int r = rank();
        int n = batch.length > r ? (batch.length - r + world - 1) / world : 0;
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = batch[r + i * world];
        }
        return out;
    }
}
