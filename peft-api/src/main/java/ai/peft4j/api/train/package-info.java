/**
 * The shared trainer: one {@link ai.peft4j.api.train.Trainer} trains the trainable parameters of
 * any method's adapter on any engine with the {@code TRAIN} capability, with host-side
 * {@link ai.peft4j.api.train.AdamW} / {@link ai.peft4j.api.train.Sgd}, warm-up schedules, gradient
 * accumulation, global-norm clipping, periodic evaluation, atomic resumable checkpoints and a
 * {@link ai.peft4j.api.train.TrainingListener} API. {@link ai.peft4j.api.train.Checkpoints} writes
 * and reads the {@code checkpoint-<step>} directories, whose {@code trainer_state.json} is a
 * {@link ai.peft4j.api.train.TrainerState}.
 *
 * <pre>{@code
 * try (PeftModel model = PeftModel.open(modelDir, Engines.byName("pytorch"), EngineOptions.defaults())) {
 *   model.addAdapter("default", PeftMethods.byName("lora").parseConfig(loraJson, "cli"));
 *   TrainingConfig cfg = TrainingConfig.builder().optLearningRate(2e-4).optBatchSize(4).optEpochs(3)
 *       .optOutputDir(out).optCheckpointEverySteps(200).build();
 *   TrainingResult r = new Trainer(model, cfg).train(trainExamples, evalExamples);
 * }
 * }</pre>
 */
package ai.peft4j.api.train;
