/**
 * Prompt tuning (Lester et al., 2021) as a {@link ai.peft4j.api.method.PeftMethod} plugin,
 * compatible with Hugging Face PEFT's {@code PROMPT_TUNING} adapters in both directions: a soft
 * prompt of {@code num_virtual_tokens} trainable embeddings is prepended to the input embeddings.
 *
 * <ul>
 *   <li>{@link ai.peft4j.prompttuning.PromptTuningConfig}: {@code adapter_config.json} with PEFT's
 *       key names, defaults and validation;</li>
 *   <li>{@link ai.peft4j.prompttuning.PromptTuningMethod}: the plugin ({@code prompt-tuning});</li>
 *   <li>{@link ai.peft4j.prompttuning.PromptTuningAdapter}: the soft prompt, stored as
 *       {@code prompt_embeddings [num_virtual_tokens, hidden]}, and its input hook.</li>
 * </ul>
 */
package ai.peft4j.prompttuning;
