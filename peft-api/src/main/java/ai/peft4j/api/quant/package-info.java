/**
 * Weight-only quantization of a frozen base, QLoRA-style: {@link ai.peft4j.api.quant.Quantization}
 * names the scheme, {@link ai.peft4j.api.quant.QuantizedWeight} holds one linear weight's codes and
 * scales in the layout both engines run (ONNX Runtime's {@code MatMulNBits} for 4-bit).
 */
package ai.peft4j.api.quant;
