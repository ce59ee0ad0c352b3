package ai.peft4j.api.inject;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.checkpoint.Checkpoint;
import ai.peft4j.api.engine.Capability;
import ai.peft4j.api.engine.DecoderRuntime;
import ai.peft4j.api.engine.Engine;
import ai.peft4j.api.engine.EngineOptions;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Key;
import com.google.inject.ProvisionException;
import com.google.inject.TypeLiteral;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class Peft4jModuleTest {
    private static final List<Engine> ENGINES = List.of(new NamedEngine("beta"), new NamedEngine("alpha"));

    @Test
    void bindsEveryEngineAndProvidesTheOneTheSettingsName() {
        Injector injector = injector(Peft4jSettings.builder().engine("alpha").device("cpu").threads(2).build());
        Set<Engine> all = injector.getInstance(Key.get(new TypeLiteral<Set<Engine>>() {}));
        assertThat(all).extracting(Engine::name).containsExactlyInAnyOrder("alpha", "beta");
        assertThat(injector.getInstance(Engine.class).name()).isEqualTo("alpha");
        assertThat(injector.getInstance(Engine.class)).isSameAs(injector.getInstance(Engine.class));
        assertThat(injector.getInstance(EngineOptions.class)).isEqualTo(new EngineOptions("cpu", 2));
    }

    @Test
    void swappingTheEngineIsASettingsChangeOnly() {
        Peft4jSettings base = Peft4jSettings.builder().engine("alpha").build();
        Engine a = injector(base).getInstance(Engine.class);
        Engine b = injector(base.toBuilder().engine("BETA").build()).getInstance(Engine.class);
        assertThat(a.name()).isEqualTo("alpha");
        assertThat(b.name()).isEqualTo("beta");
    }

    @Test
    void unknownEngineListsTheInstalledOnes() {
        Injector injector = injector(Peft4jSettings.builder().engine("gamma").build());
        assertThatThrownBy(() -> injector.getInstance(Engine.class))
                .isInstanceOf(ProvisionException.class)
                .cause()
                .isInstanceOf(Peft4jException.class)
                .hasMessage("unknown engine 'gamma'; installed: alpha, beta");
    }

    @Test
    void discoversServiceLoaderEnginesByDefault() {
        Injector injector = Guice.createInjector(new Peft4jModule(Peft4jSettings.builder().engine("nope").build()));
        Set<Engine> all = injector.getInstance(Key.get(new TypeLiteral<Set<Engine>>() {}));
        assertThat(all).extracting(Engine::name).containsExactlyInAnyOrderElementsOf(
                ai.peft4j.api.engine.Engines.installed().stream().map(Engine::name).toList());
        assertThatThrownBy(() -> injector.getInstance(Engine.class)).hasRootCauseInstanceOf(Peft4jException.class)
                .rootCause().hasMessageStartingWith("unknown engine 'nope'; installed: ");
    }

    private static Injector injector(Peft4jSettings settings) {
        return Guice.createInjector(new Peft4jModule(settings, ENGINES));
    }

    /** An engine that is only a name: enough for wiring. */
    private record NamedEngine(String name) implements Engine {
        @Override
        public Set<Capability> capabilities() {
            return EnumSet.of(Capability.INFER);
        }

        @Override
        public List<String> devices() {
            return List.of("cpu");
        }

        @Override
        public DecoderRuntime load(Checkpoint checkpoint, EngineOptions options) {
            throw new UnsupportedOperationException();
        }
    }
}
