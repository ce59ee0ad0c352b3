/**
 * The ONNX Runtime engine: {@link ai.peft4j.api.ops.Ops} implemented symbolically (each op emits
 * ONNX nodes), decoders traced into graphs with past/present key-value inputs and outputs, base
 * weights handed to ONNX Runtime straight from the mapped safetensors files, and per-request
 * LoRA adapters through ONNX Runtime's {@code .onnx_adapter} files. Inference only.
 */
package ai.peft4j.engine.onnx;
