package ai.peft4j.lora;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.method.BoundedRegex;
import ai.peft4j.api.method.ModuleSelector;
import ai.peft4j.api.method.TargetModules;
import ai.peft4j.api.model.LinearSite;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which linear sites a {@link LoraConfig} adapts, and with what rank and alpha, exactly as
 * Hugging Face PEFT decides it ({@code check_target_module_exists},
 * {@code _maybe_include_all_linear_layers}, {@code _find_minimal_target_modules},
 * {@code get_pattern_key}). The generic parts live in peft-api's {@link TargetModules}; the
 * LoRA-only parts ({@code layers_to_transform}, rank and alpha patterns) are here.
 *
 * <pre>{@code
 * LoraConfig resolved = LoraTargets.resolveTargets(cfg, sites, LoraTargets.defaultTargets(dc.modelType()));
 * for (LinearSite s : sites) if (LoraTargets.isTargeted(resolved, s.module())) ...
 * }</pre>
 */
public final class LoraTargets {
    private static final Pattern ANY_LAYER_INDEX = Pattern.compile(".*?\\.[^.]*\\.(\\d+)\\.");

    /**
     * PEFT's {@code TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING} for the supported model
     * types: what LoRA adapts when {@code target_modules} is absent. It belongs to the method,
     * not the architecture, as in PEFT (each method has its own table).
     */
    static final Map<String, List<String>> DEFAULT_TARGETS = Map.of(
            "gpt2", List.of("c_attn"),
            "gptj", List.of("q_proj", "v_proj"),
            "gpt_neox", List.of("query_key_value"),
            "llama", List.of("q_proj", "v_proj"),
            "mistral", List.of("q_proj", "v_proj"),
            "qwen2", List.of("q_proj", "v_proj"));

    private LoraTargets() {}

    /** The modules LoRA adapts by default for a {@code model_type}; empty for one PEFT has no default for. */
    public static List<String> defaultTargets(String modelType) {
        return DEFAULT_TARGETS.getOrDefault(modelType, List.of());
    }

    /**
     * Replaces absent targets by the architecture default and {@code all-linear} by every linear
     * site's path (PEFT saves the resolved set), then condenses long lists as PEFT 0.21 does.
     *
     * @param sites every linear site except the output head
     */
    public static LoraConfig resolveTargets(LoraConfig cfg, List<LinearSite> sites, List<String> defaultTargets) {
        return cfg.toBuilder().targetModules(TargetModules.resolve(cfg.targetModules(), sites, defaultTargets)).build();
    }

    /** PEFT's {@code _find_minimal_target_modules}; see {@link TargetModules#minimalTargetModules}. */
    static Set<String> minimalTargetModules(Collection<String> targets, Collection<String> others) {
        return TargetModules.minimalTargetModules(targets, others);
    }

    /**
     * PEFT's {@code check_target_module_exists} for a resolved config: excluded modules never
     * match; a regex must match the whole path; a listed name matches exactly, or as a suffix
     * (then {@code layers_to_transform} filters by the path's layer index).
     */
    public static boolean isTargeted(LoraConfig cfg, String module) {
        ModuleSelector ex = cfg.excludeModules();
        if (ex != null && ex.matches(module)) {
            return false;
        }
        ModuleSelector t = cfg.targetModules();
        if (t == null) {
            return false;
        }
        if (t.isRegex()) {
            return t.matches(module);
        }
        if (t.matchesExactName(module)) {
            return true;
        }
        if (!t.matchesSuffix(module)) {
            return false;
        }
        List<Integer> layers = cfg.layersToTransform();
        if (layers == null || layers.isEmpty()) {
            return true;
        }
        Integer index = layerIndex(module, cfg.layersPattern());
        return index != null && layers.contains(index);
    }

    /** The layer index PEFT reads from a module path, or null. */
    static Integer layerIndex(String module, List<String> layersPattern) {
        if (layersPattern == null || layersPattern.isEmpty()) {
            Matcher m = ANY_LAYER_INDEX.matcher(module);
            return m.lookingAt() ? Integer.valueOf(m.group(1)) : null;
        }
        for (String p : layersPattern) {
            Matcher m = BoundedRegex.matcher(layerPattern(p), module);
            if (m.lookingAt()) {
                // the index is the last group: the pattern may hold groups of its own
                String index = m.group(m.groupCount());
                return index != null && index.matches("\\d{1,9}") ? Integer.valueOf(index) : null;
            }
        }
        return null;
    }

    /** PEFT's layer-index regex for one {@code layers_pattern} entry. */
    static Pattern layerPattern(String layersPattern) {
        return Pattern.compile(".*?\\." + layersPattern + "\\.(\\d+)\\.");
    }

    /** PEFT's {@code rank_pattern} / {@code alpha_pattern} key regex (see {@link #patternKey}). */
    static Pattern keyPattern(String key) {
        return Pattern.compile("(.*\\.)?(" + key + ")$");
    }

    /**
     * PEFT's {@code get_pattern_key}: the first key (in order) that matches the end of the module
     * path after a '.' boundary, as {@code re.match(rf"(.*\.)?({key})$", module)}; null if none.
     */
    static String patternKey(Collection<String> keys, String module) {
        for (String key : keys) {
            if (BoundedRegex.matcher(keyPattern(key), module).lookingAt()) {
                return key;
            }
        }
        return null;
    }

    /** The rank for a module: its {@code rank_pattern} entry, else {@code r}. */
    public static int rank(LoraConfig cfg, String module) {
        String key = patternKey(cfg.rankPattern().keySet(), module);
        return key == null ? cfg.r() : cfg.rankPattern().get(key);
    }

    /** The alpha for a module: its {@code alpha_pattern} entry, else {@code lora_alpha}. */
    public static double alpha(LoraConfig cfg, String module) {
        String key = patternKey(cfg.alphaPattern().keySet(), module);
        return key == null ? cfg.loraAlpha() : cfg.alphaPattern().get(key);
    }

    /** PEFT's scaling: alpha/r, or alpha/√r under rsLoRA. */
    public static double scaling(LoraConfig cfg, String module) {
        int r = rank(cfg, module);
        double alpha = alpha(cfg, module);
        return cfg.useRslora() ? alpha / Math.sqrt(r) : alpha / r;
    }

    /** The sites a resolved config adapts, in forward order; an error listing the sites if none. */
    public static List<LinearSite> select(LoraConfig resolved, List<LinearSite> sites, String modelType) {
        List<LinearSite> out = new ArrayList<>();
        boolean anyExcluded = false;
        for (LinearSite s : sites) {
            if (isTargeted(resolved, s.module())) {
                out.add(s);
            } else if (resolved.excludeModules() != null && resolved.excludeModules().matches(s.module())) {
                anyExcluded = true;
            }
        }
        if (out.isEmpty()) {
            throw new Peft4jException("target_modules " + resolved.targetModules()
                    + (resolved.layersToTransform() != null ? " with layers_to_transform " + resolved.layersToTransform() : "")
                    + (anyExcluded ? " minus exclude_modules " + resolved.excludeModules() : "")
                    + " matched no linear layer of this " + modelType + " model. " + describe(sites));
        }
        return out;
    }

    /** "Its N linear layers are named ..." for error messages. */
    static String describe(List<LinearSite> sites) {
        return TargetModules.describe(sites);
    }
}
