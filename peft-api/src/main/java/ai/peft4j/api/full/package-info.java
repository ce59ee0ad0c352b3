/**
 * Full fine-tuning as a method plugin ({@code full}, peft_type {@code FULL}): every base weight
 * trains through the shared trainer, and saving writes a whole Hugging Face model directory.
 * {@link ai.peft4j.api.full.ModelFactory} writes randomly initialised models, so the same path
 * pre-trains a model from scratch.
 *
 * <pre>{@code
 * Path dir = ModelFactory.writeRandom(out, ModelFactory.gpt2Config(1250, 128, 64, 2, 4), 7);
 * try (PeftModel m = PeftModel.open(dir, Engines.byName("pytorch"), EngineOptions.defaults())) {
 *   m.addAdapter("full", new FullFineTuningConfig());
 *   new Trainer(m, cfg).train(data, null);   // writes config.json + model.safetensors to the output dir
 * }
 * }</pre>
 */
package ai.peft4j.api.full;
