package ai.peft4j.api.method;

import ai.peft4j.api.Peft4jException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;
import java.util.stream.Collectors;

/**
 * Discovers the installed {@link PeftMethod} plugins.
 *
 * <pre>{@code
 * PeftMethod m = PeftMethods.forType("PROMPT_TUNING");
 * PeftMethod l = PeftMethods.byName("lora");
 * }</pre>
 */
public final class PeftMethods {
    private PeftMethods() {}

    public static List<PeftMethod> installed() {
        List<PeftMethod> all = new ArrayList<>();
        ServiceLoader.load(PeftMethod.class, PeftMethods.class.getClassLoader()).forEach(all::add);
        all.sort(Comparator.comparing(PeftMethod::peftType));
        return all;
    }

    /** The plugin for a {@code peft_type}, or an error listing the installed types. */
    public static PeftMethod forType(String peftType) {
        List<PeftMethod> all = installed();
        for (PeftMethod m : all) {
            if (m.peftType().equalsIgnoreCase(peftType)) {
                return m;
            }
        }
        throw new Peft4jException("peft_type '" + peftType + "' has no installed plugin; installed: "
                + (all.isEmpty() ? "(none)" : all.stream().map(PeftMethod::peftType).collect(Collectors.joining(", "))));
    }

    /** The plugin for a command-line name ({@code lora}) or a {@code peft_type}. */
    public static PeftMethod byName(String name) {
        String n = name.toLowerCase(Locale.ROOT).replace('_', '-');
        List<PeftMethod> all = installed();
        for (PeftMethod m : all) {
            if (m.name().equalsIgnoreCase(n) || m.peftType().equalsIgnoreCase(name)) {
                return m;
            }
        }
        throw new Peft4jException("unknown method '" + name + "'; installed: "
                + (all.isEmpty() ? "(none)" : all.stream().map(PeftMethod::name).collect(Collectors.joining(", "))));
    }
}
