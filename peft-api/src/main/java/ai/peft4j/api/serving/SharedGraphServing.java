package ai.peft4j.api.serving;

import ai.peft4j.api.engine.DecoderRuntime;
import ai.peft4j.api.engine.ForwardRequest;
import ai.peft4j.api.engine.KvCache;
import ai.peft4j.api.engine.Logits;
import ai.peft4j.api.io.HostTensor;
import ai.peft4j.api.model.HookSet;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * Many adapters of one structure served from one compiled graph: the graph was traced once with
 * template hooks whose parameters are inputs, and each request names the {@link ServedAdapter}
 * whose values feed them (none: the no-op defaults, the base model). Switching adapters between
 * requests rebuilds nothing, and requests with different adapters may run concurrently. Made by a
 * {@link SharedGraphEngine}; {@link AdapterServing} is the same for every adapter of a model.
 *
 * <pre>{@code
 * try (SharedGraphServing serving = engine.serveAdapters(rt, template, defaults, 64);
 *      ServedAdapter a = serving.load(dir.resolve("summarize.onnx_adapter"))) {
 *   GenerationResult r = new Generator(serving.runtime(a), serving.hooks()).generate(ids, null, config);
 *   GenerationResult base = new Generator(serving.runtime(null), serving.hooks()).generate(ids, null, config);
 * }
 * }</pre>
 */
public interface SharedGraphServing extends AutoCloseable {

    /** The template hooks; pass them to the generator with every view of this serving. */
    HookSet hooks();

    /** The names adapters may set (graph inputs with defaults), sorted. */
    Set<String> parameterNames();

    /** Checks adapter parameters against the graph: known names, fixed dimensions, the dynamic-dimension limit. */
    void validate(Map<String, HostTensor> parameters, String source);

    /** Builds an adapter in memory from parameters keyed by {@link #parameterNames()}. */
    ServedAdapter load(Map<String, HostTensor> parameters, String name);

    /** Loads and validates an adapter file in this engine's format (see {@link #writeAdapterFile}). */
    ServedAdapter load(Path file);

    /** Writes {@code parameters} as {@code dir/<name><extension>} in this engine's adapter format, atomically; returns the file. */
    Path writeAdapterFile(Path dir, String name, Map<String, HostTensor> parameters);

    /** A forward with {@code adapter} active, or the defaults (the base) when null. */
    Logits forward(ForwardRequest request, KvCache cache, ServedAdapter adapter);

    /**
     * A {@link DecoderRuntime} view whose forwards run with {@code adapter} active (the base when
     * null), for the engine-agnostic generator. It shares the runtime; closing it does nothing.
     */
    DecoderRuntime runtime(ServedAdapter adapter);

    @Override
    void close();
}
