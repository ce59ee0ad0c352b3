/**
 * The ONNX Runtime engine: {@link ai.peft4j.api.ops.Ops} implemented symbolically (each op emits
 * ONNX nodes), decoders traced into graphs with past/present key-value inputs and outputs, base
 * weights handed to ONNX Runtime straight from the mapped safetensors files. Inference only.
 * Quantized (int8 / int4) bases run ONNX Runtime's {@code MatMulNBits} on their codes
 * ({@link ai.peft4j.engine.onnx.QuantizedMatmul} picks how activations are multiplied).
 *
 * <p>Beyond the engine: {@link ai.peft4j.engine.onnx.OnnxSharedGraphServing} serves many adapters
 * from one session, switched per request through ONNX Runtime's {@code .onnx_adapter} files (the
 * onnx side of {@link ai.peft4j.api.serving.AdapterServing}); {@link ai.peft4j.engine.onnx.OnnxExport}
 * (a {@link ai.peft4j.api.serving.ModelExporter}) writes a model
 * any ONNX Runtime client loads. Tuning knobs are engine properties ({@code onnx.*} in
 * {@link ai.peft4j.api.engine.EngineOptions}); benchmarks live on the examples side.
 */
package ai.peft4j.engine.onnx;
