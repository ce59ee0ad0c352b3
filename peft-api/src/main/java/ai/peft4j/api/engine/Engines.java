package ai.peft4j.api.engine;

import ai.peft4j.api.Peft4jException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;
import java.util.stream.Collectors;

/**
 * Discovers the installed {@link Engine} plugins ({@code META-INF/services/ai.peft4j.api.engine.Engine}).
 *
 * <pre>{@code
 * Engine e = Engines.byName("onnx");           // or Engines.defaultEngine()
 * Engine t = Engines.requireCapability(e, Capability.TRAIN); // clear error if e cannot train
 * }</pre>
 */
public final class Engines {
    private Engines() {}

    /** Every installed engine, sorted by name. */
    public static List<Engine> installed() {
        List<Engine> all = new ArrayList<>();
        ServiceLoader.load(Engine.class, Engines.class.getClassLoader()).forEach(all::add);
        all.sort(Comparator.comparing(Engine::name));
        return all;
    }

    /** The engine with this name, or an error listing the installed ones. */
    public static Engine byName(String name) {
        return byName(name, installed());
    }

    /**
     * The engine with this name among {@code engines} (for example those a Guice module bound), or
     * an error listing them.
     */
    public static Engine byName(String name, Collection<? extends Engine> engines) {
        List<Engine> all = new ArrayList<>(engines);
        all.sort(Comparator.comparing(Engine::name));
        for (Engine e : all) {
            if (e.name().equalsIgnoreCase(name)) {
                return e;
            }
        }
        throw new Peft4jException("unknown engine '" + name + "'; installed: " + (all.isEmpty() ? "(none)" : names(all)));
    }

    /** The default engine: {@code pytorch} when installed (it can train), else the first one. */
    public static Engine defaultEngine() {
        List<Engine> all = installed();
        if (all.isEmpty()) {
            throw new Peft4jException("no peft4j engine is installed; add peft-engine-pytorch or peft-engine-onnx to the classpath");
        }
        return all.stream().filter(e -> e.capabilities().contains(Capability.TRAIN)).findFirst().orElse(all.get(0));
    }

    /** Returns the engine if it has the capability, else an error naming the engines that have it. */
    public static Engine requireCapability(Engine engine, Capability capability) {
        if (engine.capabilities().contains(capability)) {
            return engine;
        }
        List<Engine> able = installed().stream().filter(e -> e.capabilities().contains(capability)).collect(Collectors.toList());
        String verb = capability == Capability.TRAIN ? "train" : "run inference";
        throw new Peft4jException("engine '" + engine.name() + "' cannot " + verb + "; engines that can: "
                + (able.isEmpty() ? "(none installed)" : names(able)));
    }

    private static String names(List<Engine> engines) {
        return engines.stream().map(Engine::name).collect(Collectors.joining(", "));
    }
}
