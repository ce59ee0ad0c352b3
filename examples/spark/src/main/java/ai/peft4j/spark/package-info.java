/**
 * peft4j on Apache Spark, for corpora and training runs that outgrow one machine.
 *
 * <ul>
 *   <li>{@link ai.peft4j.spark.SparkSummarization}: summarize a DataFrame of documents, each row
 *       with its own adapter if it likes, on the PyTorch or ONNX engine; the same summaries, byte
 *       for byte, as {@code peft4j summarize predict}, written through Spark's own writers so a
 *       retried task leaves no duplicate or missing row.
 *   <li>{@link ai.peft4j.spark.DataParallelTraining}: train an adapter of any method across the
 *       tasks of a barrier stage; {@link ai.peft4j.spark.BarrierGradientReducer} sums each
 *       update's gradients with {@code BarrierTaskContext.allGather}, so N tasks follow the
 *       single-process loss trace.
 *   <li>{@link ai.peft4j.spark.ExecutorModels}: the executor-wide model cache (one load per
 *       model, engine and adapter set, shared by the executor's tasks), keyed by
 *       {@link ai.peft4j.spark.ModelSpec}.
 *   <li>{@link ai.peft4j.spark.SparkCli}: {@code predict}, {@code train} and
 *       {@code bench-allgather} for {@code spark-submit} or local mode.
 * </ul>
 *
 * <pre>{@code
 * SparkSession spark = SparkSession.builder().master("local[2]").getOrCreate();
 * Dataset<Row> docs = SparkCli.readDocuments(spark, "test.csv");   // id,text[,adapter]
 * ModelSpec model = ModelSpec.of("examples/demo/ko-base").withAdapter("default", "runs/demo/lora");
 * SparkSummarization.writeSubmission(SparkSummarization.builder(model).build().summarize(docs), "submission", false);
 * }</pre>
 *
 * <p>Spark is a {@code provided} dependency: a cluster's own Spark (4.x, Scala 2.13, Java 17+) is
 * used; the tests start Spark in local mode themselves.
 */
package ai.peft4j.spark;
