/**
 * Summarization data: the competition's CSV/JSONL formats
 * ({@link ai.peft4j.examples.summarization.data.SummarizationData}), and the seeded generator of
 * the embedded synthetic Korean report dataset
 * ({@link ai.peft4j.examples.summarization.data.SyntheticReportGenerator}), whose templates and
 * word pools are the resources {@code synthetic/templates.json} and {@code synthetic/pools.json}
 * of this package.
 *
 * <pre>{@code
 * List<SummarizationExample> train = SummarizationData.bundledTrain();
 * SyntheticReportGenerator.write(Path.of("data"), SyntheticReportGenerator.DEFAULT_SEED, 2000, 200);
 * }</pre>
 */
package ai.peft4j.examples.summarization.data;
