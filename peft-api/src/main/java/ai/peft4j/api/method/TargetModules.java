package ai.peft4j.api.method;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.model.LinearSite;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Hugging Face PEFT's target-module resolution and matching, shared by every method that hooks
 * linear sites ({@code BaseTuner.inject_adapter}, {@code _maybe_include_all_linear_layers},
 * {@code _find_minimal_target_modules}, {@code check_target_module_exists}). Method-specific
 * filters (LoRA's {@code layers_to_transform}) stay in the method.
 *
 * <pre>{@code
 * ModuleSelector t = TargetModules.resolve(cfg.targetModules(), context.linearSites(), defaults);
 * List<LinearSite> hit = TargetModules.select(t, cfg.excludeModules(), context.linearSites(), "gpt2");
 * }</pre>
 */
public final class TargetModules {
    /** PEFT condenses explicit target lists at least this long into minimal suffixes. */
    public static final int MIN_TARGET_MODULES_FOR_OPTIMIZATION = 20;

    private TargetModules() {}

    /**
     * The targets PEFT saves after injecting: absent targets become the method's default for this
     * architecture, {@code all-linear} becomes every linear site's path, and explicit lists of at
     * least {@value #MIN_TARGET_MODULES_FOR_OPTIMIZATION} names are condensed to minimal suffixes.
     *
     * @param sites every linear site except the output head
     * @param defaults the method's default names for this architecture, or null/empty if none
     */
    public static ModuleSelector resolve(ModuleSelector target, List<LinearSite> sites, List<String> defaults) {
        ModuleSelector t = target;
        if (t == null) {
            if (defaults == null || defaults.isEmpty()) {
                throw new Peft4jException("target_modules is not set and this architecture has no PEFT default; set target_modules");
            }
            t = ModuleSelector.names(defaults);
        } else if (t.isAllLinear()) {
            List<String> all = new ArrayList<>();
            sites.forEach(s -> all.add(s.module()));
            t = ModuleSelector.names(all);
        }
        if (!t.isRegex() && t.nameList().size() >= MIN_TARGET_MODULES_FOR_OPTIMIZATION) {
            Set<String> targets = new LinkedHashSet<>(t.nameList());
            List<String> others = new ArrayList<>();
            for (LinearSite s : sites) {
                if (!targets.contains(s.module()) && !t.matchesSuffix(s.module())) {
                    others.add(s.module());
                }
            }
            Set<String> minimal = minimalTargetModules(targets, others);
            if (minimal.size() < targets.size()) {
                t = ModuleSelector.names(new ArrayList<>(minimal));
            }
        }
        return t;
    }

    /**
     * PEFT's {@code _find_minimal_target_modules}: the fewest name suffixes that select exactly the
     * targets and none of {@code others}.
     */
    public static Set<String> minimalTargetModules(Collection<String> targets, Collection<String> others) {
        Set<String> otherSuffixes = new HashSet<>();
        for (String o : others) {
            otherSuffixes.addAll(suffixes(o));
        }
        List<List<String>> bySuffixes = new ArrayList<>();
        for (String t : new LinkedHashSet<>(targets)) {
            bySuffixes.add(suffixes(t));
        }
        bySuffixes.sort(TargetModules::compareLists); // deterministic, as PEFT sorts
        Set<String> required = new LinkedHashSet<>();
        for (List<String> sfx : bySuffixes) {
            String item = sfx.get(sfx.size() - 1);
            for (String s : sfx) {
                if (required.contains(s) || otherSuffixes.contains(s)) {
                    continue;
                }
                boolean covered = false;
                for (String req : required) {
                    if (item.endsWith("." + req)) {
                        covered = true;
                        break;
                    }
                }
                if (!covered) {
                    required.add(s);
                    break;
                }
            }
        }
        return required.isEmpty() ? new LinkedHashSet<>(targets) : required;
    }

    /** "a.b.c" → ["c", "b.c", "a.b.c"] (shortest first). */
    private static List<String> suffixes(String name) {
        String[] parts = name.split("\\.", -1);
        List<String> out = new ArrayList<>();
        for (int i = parts.length - 1; i >= 0; i--) {
            out.add(String.join(".", Arrays.copyOfRange(parts, i, parts.length)));
        }
        return out;
    }

    private static int compareLists(List<String> a, List<String> b) {
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            int c = Arrays.compare(a.get(i).codePoints().toArray(), b.get(i).codePoints().toArray()); // Python str order
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(a.size(), b.size());
    }

    /**
     * PEFT's {@code check_target_module_exists} without layer filters: excluded modules never
     * match; a regex must match the whole path; a name matches exactly or as a '.'-suffix.
     *
     * @param target resolved targets ({@link #resolve}); null matches nothing
     * @param exclude {@code exclude_modules}, or null
     */
    public static boolean isTargeted(ModuleSelector target, ModuleSelector exclude, String module) {
        if (exclude != null && exclude.matches(module)) {
            return false;
        }
        return target != null && target.matches(module);
    }

    /**
     * The sites the resolved targets select, in forward order, or an error that lists the model's
     * linear layers when none match.
     */
    public static List<LinearSite> select(ModuleSelector target, ModuleSelector exclude, List<LinearSite> sites, String modelType) {
        List<LinearSite> out = new ArrayList<>();
        boolean anyExcluded = false;
        for (LinearSite s : sites) {
            if (isTargeted(target, exclude, s.module())) {
                out.add(s);
            } else if (exclude != null && exclude.matches(s.module())) {
                anyExcluded = true;
            }
        }
        if (out.isEmpty()) {
            throw new Peft4jException("target_modules " + target + (anyExcluded ? " minus exclude_modules " + exclude : "")
                    + " matched no linear layer of this " + modelType + " model. " + describe(sites));
        }
        return out;
    }

    /** "Its N linear layers are named ...; layer 0 has ..." for error messages. */
    public static String describe(List<LinearSite> sites) {
        Map<Integer, List<String>> byLayer = new LinkedHashMap<>();
        for (LinearSite s : sites) {
            byLayer.computeIfAbsent(s.layer(), k -> new ArrayList<>()).add(s.module());
        }
        Set<String> shortNames = new TreeSet<>();
        sites.forEach(s -> shortNames.add(s.shortName()));
        List<String> first = byLayer.isEmpty() ? List.of() : byLayer.values().iterator().next();
        return "Its " + sites.size() + " linear layers are named " + String.join(", ", shortNames)
                + (byLayer.size() > 1 ? "; layer 0 has " + String.join(", ", first)
                        + " (the same in layers 1.." + (byLayer.size() - 1) + ")" : "; they are " + String.join(", ", first));
    }
}
