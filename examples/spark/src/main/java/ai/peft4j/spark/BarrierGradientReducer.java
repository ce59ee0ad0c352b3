package ai.peft4j.spark;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.train.GradientReducer;
import ai.peft4j.api.train.GradientSums;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.spark.BarrierTaskContext;

/**
 * A {@link GradientReducer} over Spark's barrier execution mode: every task of a barrier stage is
 * one worker (rank = partition index), and each update's sums travel through
 * {@code BarrierTaskContext.allGather}, then every task adds the N contributions in rank order,
 * so all replicas get bit-identical sums and take identical optimizer steps.
 *
 * <p>The message is a string (that is what {@code allGather} carries): the loss sum, token counts
 * and float32 gradients, little-endian, in Base64 (4/3 of the raw 4 bytes per parameter). Spark
 * routes it through the driver: each task sends one message and receives all N, so the driver
 * sends N² messages per update. {@link #allGatherMillis()} records the time of each exchange.
 *
 * <pre>{@code
 * BarrierGradientReducer reducer = new BarrierGradientReducer(BarrierTaskContext.get());
 * TrainingConfig cfg = TrainingConfig.builder().optBatchSize(8).optGradientReducer(reducer).build();
 * }</pre>
 */
public final class BarrierGradientReducer implements GradientReducer {
    private static final int MAGIC = 0x70346a31; // "p4j1"
    private static final int HEADER = 4 + 4 + 4 + 4 + 8 + 8 + 8;

    private final Function<String, String[]> allGather;
    private final int rank;
    private final int worldSize;
    private final List<Double> allGatherMillis = new ArrayList<>();
    private long messageChars;

    /** The reducer of the barrier task running on this thread. */
    public BarrierGradientReducer(BarrierTaskContext context) {
        this(context::allGather, context.partitionId(), context.getTaskInfos().length);
    }

    /** Over any all-gather of strings (ordered by rank, or not: messages carry their rank). */
    BarrierGradientReducer(Function<String, String[]> allGather, int rank, int worldSize) {
        this.allGather = allGather;
        this.rank = rank;
        this.worldSize = worldSize;
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int worldSize() {
        return worldSize;
    }

    @Override
    public GradientSums reduce(GradientSums local) {
        String message = encode(local);
        long t0 = System.nanoTime();
        String[] all = allGather.apply(message);
        allGatherMillis.add((System.nanoTime() - t0) / 1e6);
        messageChars = message.length();
        if (all.length != worldSize) {
            throw new Peft4jException("all-gather returned " + all.length + " messages for " + worldSize + " workers");
        }
        ByteBuffer[] byRank = new ByteBuffer[worldSize];
        for (String m : all) {
            ByteBuffer b = ByteBuffer.wrap(Base64.getDecoder().decode(m)).order(ByteOrder.LITTLE_ENDIAN);
            int from = checkHeader(b, local);
            if (byRank[from] != null) {
                throw new Peft4jException("two all-gather messages from worker " + from);
            }
            byRank[from] = b;
        }
        double lossSum = 0;
        long targets = 0;
        long inputs = 0;
        Map<String, float[]> sums = new LinkedHashMap<>();
        local.gradients().forEach((k, g) -> sums.put(k, new float[g.length]));
        for (ByteBuffer b : byRank) { // rank order: the same additions on every worker
            lossSum += b.getDouble(16);
            targets += b.getLong(24);
            inputs += b.getLong(32);
            b.position(HEADER);
            for (float[] s : sums.values()) {
                for (int i = 0; i < s.length; i++) {
                    s[i] += b.getFloat();
                }
            }
        }
        return new GradientSums(lossSum, targets, inputs, sums);
    }

    /** The wall time of every all-gather so far, including the wait for the slowest worker. */
    public List<Double> allGatherMillis() {
        return List.copyOf(allGatherMillis);
    }

    /** The size of this worker's last message in characters (= bytes on the wire before Spark's own framing). */
    public long messageChars() {
        return messageChars;
    }

    private String encode(GradientSums local) {
        int floats = 0;
        for (float[] g : local.gradients().values()) {
            floats += g.length;
        }
        ByteBuffer b = ByteBuffer.allocate(HEADER + 4 * floats).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC).putInt(rank).putInt(layout(local)).putInt(floats);
        b.putDouble(local.lossSum()).putLong(local.targetTokens()).putLong(local.inputTokens());
        for (float[] g : local.gradients().values()) {
            b.asFloatBuffer().put(g);
            b.position(b.position() + 4 * g.length);
        }
        return Base64.getEncoder().encodeToString(b.array());
    }

    private int checkHeader(ByteBuffer b, GradientSums local) {
        if (b.remaining() < HEADER || b.getInt(0) != MAGIC) {
            throw new Peft4jException("not a peft4j gradient message in the all-gather (another barrier call in the same stage?)");
        }
        int from = b.getInt(4);
        if (from < 0 || from >= worldSize) {
            throw new Peft4jException("gradient message from worker " + from + " of " + worldSize);
        }
        if (b.getInt(8) != layout(local) || b.remaining() != HEADER + 4L * b.getInt(12)) {
            throw new Peft4jException("worker " + from + " trains other parameters than worker " + rank
                    + " (different adapter config or model?)");
        }
        return from;
    }

    /** A fingerprint of the parameter names and sizes, so workers with different adapters fail clearly. */
    private static int layout(GradientSums s) {
        int h = 17;
        for (Map.Entry<String, float[]> e : s.gradients().entrySet()) {
            h = 31 * (31 * h + e.getKey().hashCode()) + e.getValue().length;
        }
        return h;
    }
}
