package ai.peft4j.api.engine;

/**
 * Logits copied to the host, {@code [batch, positions, vocab]} in row-major order.
 *
 * <pre>{@code
 * Logits out = runtime.forward(request, cache);
 * float[] next = out.row(0, out.positions() - 1);
 * }</pre>
 */
public final class Logits {
    private final int batch;
    private final int positions;
    private final int vocab;
    private final float[] data;

    public Logits(int batch, int positions, int vocab, float[] data) {
        if ((long) batch * positions * vocab != data.length) {
            throw new IllegalArgumentException("logits size " + data.length + " != " + batch + "x" + positions + "x" + vocab);
        }
        this.batch = batch;
        this.positions = positions;
        this.vocab = vocab;
        this.data = data;
    }

    public int batch() {
        return batch;
    }

    public int positions() {
        return positions;
    }

    public int vocab() {
        return vocab;
    }

    /** The backing array. */
    public float[] data() {
        return data;
    }

    public float get(int b, int t, int v) {
        return data[(b * positions + t) * vocab + v];
    }

    /** A copy of one position's logits. */
    public float[] row(int b, int t) {
        float[] r = new float[vocab];
        System.arraycopy(data, (b * positions + t) * vocab, r, 0, vocab);
        return r;
    }
}
