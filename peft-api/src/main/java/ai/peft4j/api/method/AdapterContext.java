package ai.peft4j.api.method;

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
    private final SplittableRandom random;
    private final Supplier<TextTokenizer> tokenizer;

    public AdapterContext(DecoderRuntime runtime, long seed, Supplier<TextTokenizer> tokenizer) {
        this.runtime = runtime;
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

    public ParameterStore store() {
        return runtime.parameters();
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

    /** The parameter-store key for an adapter tensor: adapters never share keys. */
    public static String storeKey(String adapterName, String tensorKey) {
        return "adapter." + adapterName + "." + tensorKey;
    }
}
