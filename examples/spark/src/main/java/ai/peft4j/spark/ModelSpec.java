package ai.peft4j.spark;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.engine.Engine;
import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.inject.Peft4jModule;
import ai.peft4j.api.inject.Peft4jSettings;
import ai.peft4j.examples.cli.LoadedModel;
import com.google.inject.Guice;
import com.google.inject.Injector;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What a Spark worker loads: a model directory, the engine settings (engine, device, threads;
 * null leaves the worker's defaults, {@code -Dpeft4j.*} included) and named PEFT adapter
 * directories. Paths are read on the worker, so they must name the same files on every node
 * (a shared file system, or the same path everywhere). Immutable and serializable; it is the key
 * of {@link ExecutorModels}, so equal specs share one loaded model per executor.
 *
 * <pre>{@code
 * ModelSpec spec = ModelSpec.of("examples/demo/ko-base").withEngine("onnx", null, 1)
 *         .withAdapter("news", "runs/news-lora").withAdapter("sports", "runs/sports-lora");
 * }</pre>
 *
 * @param modelDir the Hugging Face model directory
 * @param engine engine name ({@code pytorch}, {@code onnx}), or null for the default
 * @param device {@code auto}, {@code cpu}, {@code gpu}, {@code gpu:N}, or null
 * @param threads intra-op threads per worker JVM's engine, or null (0 = the engine's choice)
 * @param adapters adapter name to adapter directory, sorted by name
 */
public record ModelSpec(String modelDir, String engine, String device, Integer threads, SortedMap<String, String> adapters)
        implements Serializable {
    public ModelSpec {
        if (modelDir == null || modelDir.isBlank()) {
            throw new Peft4jException("a model directory is required");
        }
        adapters = Collections.unmodifiableSortedMap(new TreeMap<>(adapters == null ? Map.of() : adapters));
    }

    /** The model directory alone, on the default engine. */
    public static ModelSpec of(String modelDir) {
        return new ModelSpec(modelDir, null, null, null, null);
    }

    /** The same model on another engine, device or thread count (nulls keep the defaults). */
    public ModelSpec withEngine(String engineName, String deviceName, Integer threadCount) {
        return new ModelSpec(modelDir, engineName, deviceName, threadCount, adapters);
    }

    /** The same model with one more adapter. */
    public ModelSpec withAdapter(String name, String dir) {
        TreeMap<String, String> more = new TreeMap<>(adapters);
        if (more.put(name, dir) != null) {
            throw new Peft4jException("adapter name '" + name + "' is given twice");
        }
        return new ModelSpec(modelDir, engine, device, threads, more);
    }

    /** The engine settings on this JVM: its defaults and {@code -Dpeft4j.*}, then this spec's values. */
    public Peft4jSettings settings() {
        return Peft4jSettings.resolve(null, System.getProperties()).toBuilder().engine(engine).device(device).threads(threads).build();
    }

    /** Opens the model on this JVM (no adapters loaded); the caller closes it. */
    public LoadedModel open() {
        Injector injector = Guice.createInjector(new Peft4jModule(settings()));
        return LoadedModel.open(Path.of(modelDir), injector.getInstance(Engine.class), injector.getInstance(EngineOptions.class));
    }
}
