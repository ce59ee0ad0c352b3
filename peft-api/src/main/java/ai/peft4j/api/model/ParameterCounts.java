package ai.peft4j.api.model;

import java.util.Map;

/**
 * Parameter counts computed from an architecture's weight shapes, so a model can be sized from
 * its {@code config.json} alone, without weights.
 *
 * <pre>{@code
 * DecoderConfig cfg = DecoderConfig.load(Path.of("kogpt/config.json"));
 * long n = ParameterCounts.total(Architectures.forConfig(cfg), cfg); // about 6.2e9 for KoGPT
 * }</pre>
 */
public final class ParameterCounts {
    private ParameterCounts() {}

    /** The number of base parameters (tied weights counted once, as the checkpoint stores them). */
    public static long total(Architecture architecture, DecoderConfig config) {
        long n = 0;
        for (Map.Entry<String, long[]> e : architecture.weightShapes(config).entrySet()) {
            n += elements(e.getValue());
        }
        return n;
    }

    /** The element count of a shape. */
    public static long elements(long[] shape) {
        long p = 1;
        for (long d : shape) {
            p = Math.multiplyExact(p, d);
        }
        return p;
    }
}
