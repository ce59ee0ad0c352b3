/**
 * The built-in decoder families (GPT-2, GPT-J, GPT-NeoX, Llama/Mistral/Qwen2), each written once
 * against {@link ai.peft4j.api.ops.Ops} and registered through {@code META-INF/services}.
 */
package ai.peft4j.api.arch;
