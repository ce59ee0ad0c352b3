/**
 * Training benchmarks: {@link ai.peft4j.examples.bench.TrainBench} measures training throughput,
 * peak RSS and achieved FLOP/s against the fp32 GEMM roofline measured in the same run, and
 * native-memory flatness over many steps.
 *
 * <pre>{@code
 * java -cp ... ai.peft4j.examples.bench.TrainBench train --preset gpt2-small --method lora --batch 4 --seq 256
 * java -cp ... ai.peft4j.examples.bench.TrainBench roofline --preset gpt2-small --threads 2
 * }</pre>
 */
package ai.peft4j.examples.bench;
