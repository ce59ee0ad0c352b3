package ai.peft4j.api.io;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;

/** Locates the safetensors files copied from the shared fixtures into {@code src/test/resources/io}. */
final class IoTestFiles {
    static final String F32 = "tiny-llama-f32.safetensors";
    static final String F16 = "tiny-llama-f16.safetensors";
    static final String BF16 = "tiny-llama-bf16.safetensors";
    static final String LORA = "tiny-gpt2-lora-default.safetensors";
    static final String PROMPT = "tiny-llama-pt-random.safetensors";

    private IoTestFiles() {
    }

    static Path path(String name) {
        URL url = IoTestFiles.class.getResource("/io/" + name);
        if (url == null) {
            throw new IllegalStateException("missing test resource io/" + name);
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
