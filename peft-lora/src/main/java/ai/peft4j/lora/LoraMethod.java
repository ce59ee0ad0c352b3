package ai.peft4j.lora;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.engine.ParameterStore;
import ai.peft4j.api.io.HostTensor;
import ai.peft4j.api.method.AdapterContext;
import ai.peft4j.api.method.PeftConfig;
import ai.peft4j.api.method.PeftMethod;
import ai.peft4j.api.model.LinearSite;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The LoRA plugin ({@code peft_type} {@code LORA}, command-line name {@code lora}), found by
 * {@link java.util.ServiceLoader} through {@code META-INF/services/ai.peft4j.api.method.PeftMethod}.
 *
 * <pre>{@code
 * PeftMethod lora = PeftMethods.byName("lora");
 * model.addAdapter("default", LoraConfig.builder().r(8).loraAlpha(16).build());
 * }</pre>
 */
public final class LoraMethod implements PeftMethod {
    private static final Logger LOG = LoggerFactory.getLogger(LoraMethod.class);

    @Override
    public String peftType() {
        return LoraConfig.PEFT_TYPE;
    }

    @Override
    public String name() {
        return "lora";
    }

    @Override
    public LoraConfig parseConfig(JsonObject json, String source) {
        return LoraConfig.parse(json, source);
    }

    /**
     * Resolves the config against the base model as PEFT's {@code get_peft_model} does (targets,
     * {@code fan_in_fan_out}, {@code base_model_name_or_path}), then registers freshly initialised
     * A and B tensors for every targeted site. Nothing is registered if anything fails.
     */
    @Override
    public LoraAdapter create(String adapterName, PeftConfig config, AdapterContext context) {
        if (!(config instanceof LoraConfig cfg)) {
            throw new Peft4jException("the lora method needs a LoraConfig, got " + (config == null ? null : config.peftType()));
        }
        List<LinearSite> sites = context.linearSites();
        LoraConfig resolved = LoraTargets.resolveTargets(cfg, sites, LoraTargets.defaultTargets(context.config().modelType()));
        List<LinearSite> selected = LoraTargets.select(resolved, sites, context.config().modelType());

        boolean fanInFanOut = resolved.fanInFanOut();
        for (LinearSite s : selected) {
            if (s.inOutLayout() && !fanInFanOut) {
                LOG.warn("fan_in_fan_out is set to False but the target module {} is a Conv1D stored [in, out]; "
                        + "setting fan_in_fan_out to True (as PEFT does)", s.module());
                fanInFanOut = true;
            } else if (!s.inOutLayout() && fanInFanOut) {
                LOG.warn("fan_in_fan_out is set to True but the target module {} is a Linear stored [out, in]; "
                        + "setting fan_in_fan_out to False (as PEFT does)", s.module());
                fanInFanOut = false;
            }
        }
        LoraConfig.Builder rb = resolved.toBuilder().fanInFanOut(fanInFanOut);
        if (resolved.baseModelNameOrPath() == null) {
            rb.baseModelNameOrPath(baseModelName(context));
        }
        resolved = rb.build();

        List<LoraAdapter.Layer> layers = new ArrayList<>();
        for (LinearSite s : selected) {
            int r = LoraTargets.rank(resolved, s.module());
            double alpha = LoraTargets.alpha(resolved, s.module());
            layers.add(new LoraAdapter.Layer(s, r, alpha, LoraTargets.scaling(resolved, s.module()),
                    AdapterContext.storeKey(adapterName, s.module() + ".lora_A"),
                    AdapterContext.storeKey(adapterName, s.module() + ".lora_B")));
        }
        AdapterContext.checkFitsInHeap(parameterCount(layers), "LoRA adapter '" + adapterName + "' (r = " + resolved.r()
                + (resolved.rankPattern().isEmpty() ? "" : ", rank_pattern " + resolved.rankPattern()) + ")");
        ParameterStore store = context.store();
        List<String> registered = new ArrayList<>();
        try {
            for (LoraAdapter.Layer l : layers) {
                HostTensor[] ab = initialWeights(resolved.initLoraWeights(), l.r(), l.site().inFeatures(),
                        l.site().outFeatures(), context.random());
                store.put(l.aKey(), ab[0], true);
                registered.add(l.aKey());
                store.put(l.bKey(), ab[1], true);
                registered.add(l.bKey());
            }
        } catch (RuntimeException e) {
            registered.forEach(store::remove);
            throw e;
        }
        return new LoraAdapter(adapterName, resolved, layers);
    }

    /** A and B of every layer, or -1 if the count overflows a long. */
    private static long parameterCount(List<LoraAdapter.Layer> layers) {
        long n = 0;
        try {
            for (LoraAdapter.Layer l : layers) {
                long dims = (long) l.site().inFeatures() + l.site().outFeatures();
                n = Math.addExact(n, Math.multiplyExact((long) l.r(), dims));
            }
        } catch (ArithmeticException e) {
            return -1;
        }
        return n;
    }

    /** The model directory's name, which is what PEFT records when the model was loaded by path. */
    private static String baseModelName(AdapterContext context) {
        Path dir = context.modelDirectory();
        if (dir == null) {
            return null;
        }
        Path name = dir.toAbsolutePath().normalize().getFileName();
        return name == null ? null : name.toString();
    }

    /**
     * A {@code [r, in]} and B {@code [out, r]} as PEFT initialises them. torch's nn.Linear default,
     * kaiming-uniform with a = √5, is U(±1/√fan_in).
     */
    static HostTensor[] initialWeights(LoraConfig.InitLoraWeights init, int r, int in, int out, RandomGenerator random) {
        HostTensor ta = HostTensor.zeros(r, in);
        HostTensor tb = HostTensor.zeros(out, r);
        float[] a = ta.data();
        float[] b = tb.data();
        switch (init) {
            case DEFAULT -> uniform(a, 1.0 / Math.sqrt(in), random);
            case GAUSSIAN -> {
                double std = 1.0 / r;
                for (int i = 0; i < a.length; i++) {
                    a[i] = (float) (random.nextGaussian() * std);
                }
            }
            case RANDOM -> {
                uniform(a, 1.0 / Math.sqrt(in), random);
                uniform(b, 1.0 / Math.sqrt(r), random);
            }
        }
        return new HostTensor[] {ta, tb};
    }

    private static void uniform(float[] x, double bound, RandomGenerator random) {
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
        }
    }

    @Override
    public String toString() {
        return "LoraMethod[LORA]";
    }
}
