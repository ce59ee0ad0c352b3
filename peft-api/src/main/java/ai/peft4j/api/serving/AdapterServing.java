package ai.peft4j.api.serving;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.engine.DecoderRuntime;
import ai.peft4j.api.engine.Engine;
import ai.peft4j.api.engine.Engines;
import ai.peft4j.api.engine.ForwardRequest;
import ai.peft4j.api.engine.KvCache;
import ai.peft4j.api.engine.Logits;
import ai.peft4j.api.io.HostTensor;
import ai.peft4j.api.method.Adapter;
import ai.peft4j.api.method.SharedGraphAdapter;
import ai.peft4j.api.model.HookSet;
import ai.peft4j.api.peft.AdapterFiles;
import ai.peft4j.api.peft.PeftModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Every adapter of a {@link PeftModel} served from one graph, the adapter chosen per request:
 * the glue between a model and its engine's {@link SharedGraphServing}, for any method whose
 * adapters implement {@link SharedGraphAdapter} (LoRA does). The first adapter's hooks are the
 * template and its parameter keys the graph's adapter inputs; each adapter's values are mapped
 * onto them by {@link SharedGraphAdapter#parametersOf} (LoRA: the scale folded into B per site)
 * and loaded into the engine. Adapters must share the template's structure (LoRA: the same
 * targets or a subset) with dynamic dimensions (ranks) up to {@code maxRank}.
 *
 * <pre>{@code
 * try (PeftModel model = PeftModel.open(modelDir, Engines.byName("onnx"), EngineOptions.defaults())) {
 *   model.loadAdapter(summarizeDir, "summarize");
 *   model.loadAdapter(translateDir, "translate");
 *   try (AdapterServing serving = AdapterServing.of(model, 64)) {
 *     GenerationResult r = new Generator(serving.runtime(serving.adapter("translate")), serving.hooks())
 *         .generate(ids, null, config);
 *     serving.writeAdapterFiles(outDir);   // summarize.onnx_adapter, translate.onnx_adapter on onnx
 *   }
 * }
 * }</pre>
 *
 * <p>It is itself a {@link SharedGraphServing}: files and parameter maps load beside the model's
 * adapters; closing it closes the adapters it loaded and the engine's serving.
 */
public final class AdapterServing implements SharedGraphServing {
    private final SharedGraphServing graph;
    /** Adapters loaded from the model, by name, in the model's order; closed with this serving. */
    private final Map<String, ServedAdapter> owned = new LinkedHashMap<>();
    private final Map<String, Map<String, HostTensor>> ownedParameters = new LinkedHashMap<>();
    private final Map<String, String> peftTypes = new LinkedHashMap<>();

    private AdapterServing(SharedGraphServing graph) {
        this.graph = graph;
    }

    /**
     * Serves every adapter of {@code model} from one graph of its engine.
     *
     * @param maxRank the largest rank (dynamic dimension) an adapter may bring, or 0 for no limit
     * @throws Peft4jException when the engine cannot serve adapters from one graph, the model has
     *     no adapters or merged ones, or an adapter does not fit the first one's structure
     */
    public static AdapterServing of(PeftModel model, int maxRank) {
        DecoderRuntime rt = model.runtime();
        if (!(rt.engine() instanceof SharedGraphEngine engine)) {
            throw new Peft4jException("per-request adapter serving needs " + sharedGraphEngines() + ", the model runs on '"
                    + rt.engine().name() + "'");
        }
        List<String> names = model.adapterNames();
        if (names.isEmpty()) {
            throw new Peft4jException("the model has no adapters to serve; load at least one");
        }
        if (!model.mergedAdapters().isEmpty()) {
            throw new Peft4jException("adapters " + model.mergedAdapters() + " are merged into the base weights; "
                    + "unmerge them before serving adapters per request");
        }
        if (!(model.adapter(names.get(0)) instanceof SharedGraphAdapter template)) {
            throw new Peft4jException("adapter '" + names.get(0) + "' (" + model.adapter(names.get(0)).config().peftType()
                    + ") cannot be served per request from one graph: its method does not implement SharedGraphAdapter");
        }
        HookSet.Builder hooks = HookSet.builder();
        template.addHooks(hooks, false);
        AdapterServing serving = new AdapterServing(engine.serveAdapters(rt, hooks.build(), template.noOpParameters(), maxRank));
        try {
            for (String name : names) {
                Adapter adapter = model.adapter(name);
                Map<String, HostTensor> p = template.parametersOf(adapter, rt.parameters());
                serving.owned.put(name, serving.graph.load(p, name));
                serving.ownedParameters.put(name, p);
                serving.peftTypes.put(name, adapter.config().peftType());
            }
        } catch (RuntimeException e) {
            serving.close();
            throw e;
        }
        return serving;
    }

    /** The installed engines that serve adapters from one graph, for the refusal message. */
    private static String sharedGraphEngines() {
        String names = Engines.installed().stream().filter(e -> e instanceof SharedGraphEngine).map(Engine::name)
                .collect(Collectors.joining(" or "));
        return names.isEmpty() ? "an engine that serves adapters from one graph (none is installed)" : "the " + names + " engine";
    }

    /** The model's adapters, in the model's order. */
    public List<String> adapterNames() {
        return List.copyOf(owned.keySet());
    }

    /** A model adapter by name, to pass to {@link #forward} or {@link #runtime} (null there means the base). */
    public ServedAdapter adapter(String name) {
        ServedAdapter a = owned.get(name);
        if (a == null) {
            throw new Peft4jException("no served adapter '" + name + "'; served: " + owned.keySet());
        }
        return a;
    }

    /** A model adapter's PEFT type ({@code LORA}), as its config names it. */
    public String peftType(String name) {
        adapter(name);
        return peftTypes.get(name);
    }

    /**
     * Writes every model adapter in the engine's adapter format into {@code dir} (each file
     * atomically; {@code <name>.onnx_adapter} on onnx) and returns the files by adapter name.
     */
    public Map<String, Path> writeAdapterFiles(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new Peft4jException(dir + ": cannot create directory: " + e.getMessage(), e);
        }
        Map<String, Path> files = new LinkedHashMap<>();
        for (Map.Entry<String, Map<String, HostTensor>> e : ownedParameters.entrySet()) {
            AdapterFiles.checkName(e.getKey());
            files.put(e.getKey(), graph.writeAdapterFile(dir, e.getKey(), e.getValue()));
        }
        return files;
    }

    /** The engine's serving this delegates to (an engine's exporter reads its own type from it). */
    public SharedGraphServing graph() {
        return graph;
    }

    @Override
    public HookSet hooks() {
        return graph.hooks();
    }

    @Override
    public Set<String> parameterNames() {
        return graph.parameterNames();
    }

    @Override
    public void validate(Map<String, HostTensor> parameters, String source) {
        graph.validate(parameters, source);
    }

    @Override
    public ServedAdapter load(Map<String, HostTensor> parameters, String name) {
        return graph.load(parameters, name);
    }

    @Override
    public ServedAdapter load(Path file) {
        return graph.load(file);
    }

    @Override
    public Path writeAdapterFile(Path dir, String name, Map<String, HostTensor> parameters) {
        return graph.writeAdapterFile(dir, name, parameters);
    }

    @Override
    public Logits forward(ForwardRequest request, KvCache cache, ServedAdapter adapter) {
        return graph.forward(request, cache, adapter);
    }

    @Override
    public DecoderRuntime runtime(ServedAdapter adapter) {
        return graph.runtime(adapter);
    }

    @Override
    public void close() {
        owned.values().forEach(ServedAdapter::close);
        owned.clear();
        ownedParameters.clear();
        graph.close();
    }
}
