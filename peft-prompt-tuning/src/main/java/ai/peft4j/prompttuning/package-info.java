/**
 * Prompt tuning (Lester et al., 2021) and P-tuning as {@link ai.peft4j.api.method.PeftMethod}
 * plugins, compatible with Hugging Face PEFT's {@code PROMPT_TUNING} and {@code P_TUNING} adapters:
 * a soft prompt of {@code num_virtual_tokens} embeddings is prepended to the input embeddings.
 *
 * <ul>
 *   <li>{@link ai.peft4j.prompttuning.PromptTuningConfig}, {@link ai.peft4j.prompttuning.PTuningConfig}:
 *       {@code adapter_config.json} with PEFT's key names, defaults and validation, as records bound by
 *       {@link ai.peft4j.api.config.PeftSchema}; both embed {@link ai.peft4j.prompttuning.PromptLearning},
 *       the keys PEFT's prompt-learning methods share;</li>
 *   <li>{@link ai.peft4j.prompttuning.PromptTuningMethod} ({@code prompt-tuning}) creates, initialises
 *       (RANDOM, TEXT, SAMPLE_VOCAB) and loads soft prompts; {@link ai.peft4j.prompttuning.PTuningMethod}
 *       ({@code p-tuning}) loads PEFT-saved P-tuning adapters;</li>
 *   <li>{@link ai.peft4j.prompttuning.SoftPromptAdapter}: the saved tensor
 *       {@code prompt_embeddings [num_virtual_tokens, hidden]} and its input hook.</li>
 * </ul>
 */
package ai.peft4j.prompttuning;
