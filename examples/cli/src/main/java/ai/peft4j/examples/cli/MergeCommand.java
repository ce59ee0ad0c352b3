package ai.peft4j.examples.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code peft4j merge}: folds adapters into the base weights and writes a plain Hugging Face
 * checkpoint (config.json, model.safetensors in the base's dtype, tokenizer files), refusing
 * adapters whose merged weights would hold NaN or Inf.
 *
 * <pre>{@code
 * peft4j merge --model base --adapter runs/lora --out merged
 * }</pre>
 */
@Command(name = "merge", mixinStandardHelpOptions = true,
        description = "Merge adapters into the base model and save it as a Hugging Face checkpoint.")
public final class MergeCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Base model directory.")
    Path model;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory for the merged checkpoint.")
    Path out;

    @Mixin
    AdapterFlags adapterFlags = new AdapterFlags();

    @Mixin
    EngineFlags engineFlags = new EngineFlags();

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        try (LoadedModel m = engineFlags.open(model)) {
            List<String> names = adapterFlags.apply(m.model());
            if (names.isEmpty()) {
                throw new ai.peft4j.api.Peft4jException("merge needs at least one --adapter");
            }
            m.model().saveMerged(out);
            spec.commandLine().getOut().println("merged " + String.join(", ", names) + " into " + out);
        }
        return 0;
    }
}
