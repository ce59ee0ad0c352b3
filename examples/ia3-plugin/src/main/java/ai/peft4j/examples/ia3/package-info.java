/**
 * (IA)³ as an out-of-tree peft4j method plugin, written only against {@code peft-api}'s SPI and
 * compatible with Hugging Face PEFT's {@code IA3} adapters: {@link ai.peft4j.examples.ia3.Ia3Config}
 * ({@code adapter_config.json}), {@link ai.peft4j.examples.ia3.Ia3Method} (the
 * {@link ai.peft4j.api.method.PeftMethod} registered through {@code META-INF/services}) and
 * {@link ai.peft4j.examples.ia3.Ia3Adapter} (hooks on linear sites, merge and unmerge).
 */
package ai.peft4j.examples.ia3;
