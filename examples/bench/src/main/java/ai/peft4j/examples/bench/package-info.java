/**
 * Benchmarks: {@link ai.peft4j.examples.bench.TrainBench} measures training throughput, peak RSS
 * and achieved FLOP/s against the fp32 GEMM roofline measured in the same run, and native-memory
 * flatness over many steps; {@link ai.peft4j.examples.bench.GenerateBench} measures the engines'
 * decoding speed on one model.
 *
 * <p>They run from the command line ({@code examples/cli}, which depends on this module):
 *
 * <pre>{@code
 * peft4j bench train --preset gpt2-small --method lora --batch 4 --seq 256
 * peft4j bench roofline --preset gpt2-small --threads 2
 * peft4j bench generate --engine both --preset gpt2-small --threads 2
 * }</pre>
 */
package ai.peft4j.examples.bench;
