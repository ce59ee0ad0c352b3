package ai.peft4j.examples.ia3;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.engine.ParameterStore;
import ai.peft4j.api.io.HostTensor;
import ai.peft4j.api.method.AdapterContext;
import ai.peft4j.api.method.ModuleSelector;
import ai.peft4j.api.method.PeftConfig;
import ai.peft4j.api.method.PeftMethod;
import ai.peft4j.api.method.TargetModules;
import ai.peft4j.api.model.LinearSite;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The (IA)³ plugin ({@code peft_type} {@code IA3}, command-line name {@code ia3}), found by
 * {@link java.util.ServiceLoader} through {@code META-INF/services/ai.peft4j.api.method.PeftMethod}.
 *
 * <pre>{@code
 * model.addAdapter("default", Ia3Config.builder().build()); // PEFT's defaults for the model type
 * }</pre>
 */
public final class Ia3Method implements PeftMethod {
    private static final Logger LOG = LoggerFactory.getLogger(Ia3Method.class);

    /** PEFT's {@code TRANSFORMERS_MODELS_TO_IA3_TARGET_MODULES_MAPPING}, for the model types peft4j runs. */
    static final Map<String, List<String>> DEFAULT_TARGETS = Map.of(
            "gpt2", List.of("c_attn", "mlp.c_proj"),
            "gptj", List.of("q_proj", "v_proj", "fc_out"),
            "gpt_neox", List.of("query_key_value", "dense_4h_to_h"),
            "llama", List.of("k_proj", "v_proj", "down_proj"),
            "mistral", List.of("k_proj", "v_proj", "down_proj"),
            "qwen2", List.of("q_proj", "v_proj", "down_proj"));

    /** PEFT's {@code TRANSFORMERS_MODELS_TO_IA3_FEEDFORWARD_MODULES_MAPPING}, likewise. */
    static final Map<String, List<String>> DEFAULT_FEEDFORWARD = Map.of(
            "gpt2", List.of("mlp.c_proj"),
            "gptj", List.of("fc_out"),
            "gpt_neox", List.of("dense_4h_to_h"),
            "llama", List.of("down_proj"),
            "mistral", List.of("down_proj"),
            "qwen2", List.of("down_proj"));

    @Override
    public String peftType() {
        return Ia3Config.PEFT_TYPE;
    }

    @Override
    public String name() {
        return "ia3";
    }

    @Override
    public Ia3Config parseConfig(JsonObject json, String source) {
        return Ia3Config.parse(json, source);
    }

    /**
     * Resolves the config as PEFT's {@code IA3Model} does (default targets and feed-forward
     * modules, {@code all-linear}, {@code fan_in_fan_out}), then registers one trainable vector per
     * targeted site. Nothing is registered if anything fails.
     */
    @Override
    public Ia3Adapter create(String adapterName, PeftConfig config, AdapterContext context) {
        if (!(config instanceof Ia3Config cfg)) {
            throw new Peft4jException("the ia3 method needs an Ia3Config, got " + (config == null ? null : config.peftType()));
        }
        String modelType = context.config().modelType();
        List<LinearSite> sites = context.linearSites();
        ModuleSelector ff = cfg.feedforwardModules();
        if (ff == null) {
            List<String> def = DEFAULT_FEEDFORWARD.get(modelType);
            if (def == null) {
                throw new Peft4jException("feedforward_modules is not set and PEFT has no (IA)³ default for " + modelType
                        + "; set feedforward_modules");
            }
            ff = ModuleSelector.names(def);
        }
        ModuleSelector targets = TargetModules.resolve(cfg.targetModules(), sites, DEFAULT_TARGETS.get(modelType));
        List<LinearSite> selected = TargetModules.select(targets, cfg.excludeModules(), sites, modelType);

        boolean fanInFanOut = cfg.fanInFanOut();
        for (LinearSite s : selected) {
            if (s.inOutLayout() != fanInFanOut) {
                LOG.warn("fan_in_fan_out is set to {} but the target module {} is stored {}; setting fan_in_fan_out to {} (as PEFT does)",
                        fanInFanOut, s.module(), s.inOutLayout() ? "[in, out] (Conv1D)" : "[out, in] (Linear)", s.inOutLayout());
                fanInFanOut = s.inOutLayout();
            }
        }
        Ia3Config.Builder rb = cfg.toBuilder().targetModules(targets).feedforwardModules(ff).fanInFanOut(fanInFanOut);
        if (cfg.baseModelNameOrPath() == null && context.modelDirectory() != null) {
            Path name = context.modelDirectory().toAbsolutePath().normalize().getFileName();
            rb.baseModelNameOrPath(name == null ? null : name.toString());
        }
        Ia3Config resolved = rb.build();

        List<Ia3Adapter.Layer> layers = new ArrayList<>();
        for (LinearSite s : selected) {
            layers.add(new Ia3Adapter.Layer(s, resolved.isFeedforward(s.module()),
                    AdapterContext.storeKey(adapterName, s.module() + ".ia3_l")));
        }
        ParameterStore store = context.store();
        List<String> registered = new ArrayList<>();
        try {
            for (Ia3Adapter.Layer l : layers) {
                float[] v = new float[l.size()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = resolved.initIa3Weights() ? 1f : (float) context.random().nextGaussian(); // PEFT: ones, or torch.randn
                }
                store.put(l.key(), new HostTensor(l.storeShape(), v), true);
                registered.add(l.key());
            }
        } catch (RuntimeException e) {
            registered.forEach(store::remove);
            throw e;
        }
        return new Ia3Adapter(adapterName, resolved, layers);
    }

    @Override
    public String toString() {
        return "Ia3Method[IA3]";
    }
}
