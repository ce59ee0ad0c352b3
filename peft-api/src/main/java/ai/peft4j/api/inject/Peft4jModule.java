package ai.peft4j.api.inject;

import ai.peft4j.api.engine.Engine;
import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.engine.Engines;
import ai.peft4j.api.method.PeftMethod;
import ai.peft4j.api.method.PeftMethods;
import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import com.google.inject.multibindings.Multibinder;
import java.util.List;
import java.util.Set;

/**
 * Guice wiring for a peft4j application: binds every {@link Engine} that
 * {@link java.util.ServiceLoader} finds into a {@code Set<Engine>}, the {@link Peft4jSettings},
 * the {@link EngineOptions} they imply, and {@code Engine} itself as the one the settings name. So
 * swapping the engine is a settings change only; nothing else refers to an engine class.
 *
 * <pre>{@code
 * Injector injector = Guice.createInjector(new Peft4jModule(Peft4jSettings.resolve(null, System.getProperties())));
 * Engine engine = injector.getInstance(Engine.class);
 * try (Checkpoint ckpt = Checkpoint.open(dir);
 *      DecoderRuntime rt = engine.load(ckpt, injector.getInstance(EngineOptions.class))) {
 *   ...
 * }
 * }</pre>
 *
 * <p>An unknown engine name fails when the engine is first provided, with a
 * {@link ai.peft4j.api.Peft4jException} (wrapped by Guice in a {@code ProvisionException}) that lists
 * the installed engines.
 */
public class Peft4jModule extends AbstractModule {
    private final Peft4jSettings settings;
    private final List<Engine> engines;

    /** Binds the engines installed on the classpath. */
    public Peft4jModule(Peft4jSettings settings) {
        this(settings, Engines.installed());
    }

    /** Binds the given engines instead of discovering them (embedding, tests). */
    public Peft4jModule(Peft4jSettings settings, List<? extends Engine> engines) {
        this.settings = settings;
        this.engines = List.copyOf(engines);
    }

    @Override
    protected void configure() {
        bind(Peft4jSettings.class).toInstance(settings);
        Multibinder<Engine> engineBinder = Multibinder.newSetBinder(binder(), Engine.class);
        for (Engine e : engines) {
            engineBinder.addBinding().toInstance(e);
        }
        // PEFT methods are plugins too: whatever ServiceLoader finds is bound.
        Multibinder<PeftMethod> methods = Multibinder.newSetBinder(binder(), PeftMethod.class);
        PeftMethods.installed().forEach(m -> methods.addBinding().toInstance(m));
    }

    @Provides
    @Singleton
    Engine engine(Peft4jSettings s, Set<Engine> installed) {
        return Engines.byName(s.engine(), installed);
    }

    @Provides
    EngineOptions engineOptions(Peft4jSettings s) {
        return s.engineOptions();
    }
}
