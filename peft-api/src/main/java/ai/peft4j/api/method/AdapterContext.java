package ai.peft4j.api.method;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.engine.DecoderRuntime;
import ai.peft4j.api.engine.ParameterStore;
import ai.peft4j.api.model.Architecture;
import ai.peft4j.api.model.DecoderConfig;
import ai.peft4j.api.model.LinearSite;
import ai.peft4j.api.tokenizer.TextTokenizer;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * What a {@link PeftMethod} may use when it creates an adapter: the base model's config,
 * architecture and linear sites, the parameter store, a seeded random source for
 * initialisation, and the base model's tokenizer (for text-initialised prompts).
 *
 * <pre>{@code
 * for (LinearSite site : context.linearSites()) { ... }
 * float u = (float) context.random().nextDouble();
 * }</pre>
 */
public final class AdapterContext {
    private final DecoderRuntime runtime;
    private final ParameterStore store;
    private final SplittableRandom random;
    private final Supplier<TextTokenizer> tokenizer;

    public AdapterContext(DecoderRuntime runtime, long seed, Supplier<TextTokenizer> tokenizer) {
        this(runtime, runtime.parameters(), seed, tokenizer);
    }

    /**
     * A context whose {@link #store()} is not the runtime's own: {@code PeftModel.loadAdapter}
     * stages what {@code create} registers, so that nothing reaches the runtime before the adapter
     * file has been checked.
     */
    public AdapterContext(DecoderRuntime runtime, ParameterStore store, long seed, Supplier<TextTokenizer> tokenizer) {
        this.runtime = runtime;
        this.store = store;
        this.random = new SplittableRandom(seed);
        this.tokenizer = tokenizer;
    }

    public DecoderRuntime runtime() {
        return runtime;
    }

    public DecoderConfig config() {
        return runtime.config();
    }

    public Architecture architecture() {
        return runtime.architecture();
    }

    public List<LinearSite> linearSites() {
        return runtime.architecture().linearSites(runtime.config());
    }

    /** Where the adapter registers its parameters (the runtime's store, or a staging one). */
    public ParameterStore store() {
        return store;
    }

    /** The seeded random source; draws are deterministic per seed. */
    public SplittableRandom random() {
        return random;
    }

    /** The base model's tokenizer (loaded on first use). */
    public TextTokenizer tokenizer() {
        return tokenizer.get();
    }

    /** The base model's directory. */
    public Path modelDirectory() {
        return runtime.checkpoint().directory();
    }

    /**
     * Fails with a clear error unless an adapter of {@code parameters} float32 values fits in the
     * Java heap, where adapter weights are created and gathered for saving. Methods call it before
     * allocating, so that a forged size in a downloaded {@code adapter_config.json} (an {@code r} of
     * 30 million) is refused instead of ending in an OutOfMemoryError.
     *
     * @param what the adapter and the setting that sized it, for the message
     */
    public static void checkFitsInHeap(long parameters, String what) {
        long max = Runtime.getRuntime().maxMemory();
        if (parameters < 0 || parameters > max / Float.BYTES) {
            throw new Peft4jException(what + " needs " + (parameters < 0 ? "more than 2^63" : String.valueOf(parameters))
                    + " float32 parameters, more than the Java heap holds (" + (max >> 20) + " MiB, set by -Xmx)");
        }
    }

    /** The parameter-store key for an adapter tensor: adapters never share keys. */
    public static String storeKey(String adapterName, String tensorKey) {
        return "adapter." + adapterName + "." + tensorKey;
    }
}
