/**
 * Tensor file IO: a memory-mapped safetensors reader, a safetensors writer that produces the
 * same bytes as Python's {@code safetensors} library, a small float32 host tensor, and atomic
 * file and directory replacement.
 *
 * <p>Readers never copy base weights into the Java heap: {@link ai.peft4j.api.io.SafetensorsFile}
 * hands out mapped or off-heap buffers. Writers never leave a half-written file behind. Example:
 *
 * <pre>{@code
 * try (SafetensorsFile file = SafetensorsFile.open(dir.resolve("adapter_model.safetensors"))) {
 *   HostTensor a = file.readHost("base_model.model.transformer.h.0.attn.c_attn.lora_A.weight");
 *   SafetensorsWriter.write(out, Map.of("lora_A", a), Map.of("format", "pt"));
 * }
 * }</pre>
 */
package ai.peft4j.api.io;
