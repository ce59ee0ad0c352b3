/**
 * LoRA as a peft4j method plugin, compatible with Hugging Face PEFT both ways:
 * {@link ai.peft4j.lora.LoraConfig} ({@code adapter_config.json}, a record bound by
 * {@link ai.peft4j.api.config.PeftSchema}), {@link ai.peft4j.lora.LoraMethod}
 * (the {@link ai.peft4j.api.method.PeftMethod} registered through {@code META-INF/services}),
 * {@link ai.peft4j.lora.LoraTargets} (PEFT's module matching) and
 * {@link ai.peft4j.lora.LoraAdapter} (hooks on linear sites, merge and unmerge).
 */
package ai.peft4j.lora;
