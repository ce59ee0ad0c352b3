/**
 * The engine SPI: {@link ai.peft4j.api.engine.Engine} plugins, the loaded
 * {@link ai.peft4j.api.engine.DecoderRuntime}, forwards, caches and parameters.
 */
package ai.peft4j.api.engine;
