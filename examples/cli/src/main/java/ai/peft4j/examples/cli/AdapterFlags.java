package ai.peft4j.examples.cli;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.peft.PeftModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The {@code --adapter DIR} (repeatable) and {@code --adapter-name NAME} flags shared by commands
 * that run a model with PEFT adapters. Every loaded adapter is active, in order.
 *
 * <pre>{@code
 * peft4j generate --model base --adapter runs/lora --adapter-name summarize --prompt "..."
 * }</pre>
 */
public final class AdapterFlags {
    @Option(names = "--adapter", paramLabel = "DIR", description = "PEFT adapter directory (adapter_config.json + adapter_model.safetensors); repeatable.")
    List<Path> adapters = new ArrayList<>();

    @Option(names = "--adapter-name", paramLabel = "NAME", description = "Name for the matching --adapter (default: default, adapter1, ...).")
    List<String> names = new ArrayList<>();

    /** Loads the adapters into the model and activates all of them; returns their names. */
    public List<String> apply(PeftModel model) {
        if (names.size() > adapters.size()) {
            throw new Peft4jException("--adapter-name given " + names.size() + " times for " + adapters.size() + " --adapter");
        }
        List<String> loaded = new ArrayList<>();
        for (int i = 0; i < adapters.size(); i++) {
            String name = i < names.size() ? names.get(i) : (i == 0 ? "default" : "adapter" + i);
            model.loadAdapter(adapters.get(i), name);
            loaded.add(name);
        }
        if (!loaded.isEmpty()) {
            model.setActiveAdapters(loaded.toArray(new String[0]));
        }
        return loaded;
    }
}
