package ai.peft4j.api.model;

import ai.peft4j.api.Peft4jException;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.TreeSet;

/**
 * Finds the {@link Architecture} for a config among those installed through
 * {@code META-INF/services/ai.peft4j.api.model.Architecture}.
 *
 * <pre>{@code
 * Architecture arch = Architectures.forConfig(DecoderConfig.load(dir.resolve("config.json")));
 * }</pre>
 */
public final class Architectures {
    private Architectures() {}

    /** Every installed architecture. */
    public static List<Architecture> installed() {
        List<Architecture> all = new ArrayList<>();
        ServiceLoader.load(Architecture.class, Architectures.class.getClassLoader()).forEach(all::add);
        return all;
    }

    /** Every {@code model_type} an installed architecture serves, sorted. */
    public static java.util.SortedSet<String> supportedTypes() {
        TreeSet<String> types = new TreeSet<>();
        installed().forEach(a -> types.addAll(a.modelTypes()));
        return types;
    }

    /** The architecture serving {@code config.modelType()}, or an error listing the supported types. */
    public static Architecture forConfig(DecoderConfig config) {
        TreeSet<String> supported = new TreeSet<>();
        for (Architecture a : installed()) {
            if (a.modelTypes().contains(config.modelType())) {
                a.validate(config);
                return a;
            }
            supported.addAll(a.modelTypes());
        }
        throw new Peft4jException("unsupported model_type '" + config.modelType() + "'; supported: " + String.join(", ", supported));
    }
}
