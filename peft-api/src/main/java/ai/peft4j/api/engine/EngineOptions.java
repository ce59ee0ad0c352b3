package ai.peft4j.api.engine;

/**
 * How to run an engine: the device ({@code cpu}, {@code gpu}, {@code gpu:1}, or {@code auto} for
 * the engine's choice) and the intra-op thread count (0 = the engine's default).
 *
 * <pre>{@code
 * DecoderRuntime rt = engine.load(ckpt, new EngineOptions("cpu", 2));
 * }</pre>
 */
public record EngineOptions(String device, int threads) {
    /** The engine's default device and threads. */
    public static EngineOptions defaults() {
        return new EngineOptions("auto", 0);
    }
}
