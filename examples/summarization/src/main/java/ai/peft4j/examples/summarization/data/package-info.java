/**
 * Summarization data: the competition's CSV/JSONL formats
 * ({@link ai.peft4j.examples.summarization.data.SummarizationData}), and the seeded generator of
 * the embedded synthetic Korean report dataset
 * ({@link ai.peft4j.examples.summarization.data.SyntheticReportGenerator}).
 */
package ai.peft4j.examples.summarization.data;
