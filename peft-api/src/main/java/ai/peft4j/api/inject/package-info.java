/**
 * Wiring: {@link ai.peft4j.api.inject.Peft4jSettings} (engine, device, threads, layered from
 * defaults, a config file, system properties and command-line flags) and the Guice
 * {@link ai.peft4j.api.inject.Peft4jModule} that binds the plugins {@link java.util.ServiceLoader}
 * finds. Swapping the engine is a settings change only.
 */
package ai.peft4j.api.inject;
