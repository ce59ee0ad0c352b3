package ai.peft4j.examples.cli;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.engine.Engines;
import ai.peft4j.api.serving.ModelExport;
import ai.peft4j.engine.onnx.OnnxExport;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code peft4j export-onnx}: writes the model as files any ONNX Runtime client loads:
 * {@code model.onnx} (KV-cache inputs/outputs, weights as ONNX external data), one
 * {@code .onnx_adapter} per LoRA {@code --adapter} (activated per run with
 * {@code OrtLoraAdapter}) and {@code model.json} describing it. See {@link OnnxExport}.
 *
 * <pre>{@code
 * peft4j export-onnx --model base --adapter runs/summarize --adapter-name summarize --out exported
 * }</pre>
 */
@Command(name = "export-onnx", mixinStandardHelpOptions = true,
        description = "Export the model (and LoRA adapters as .onnx_adapter files) for any ONNX Runtime client.")
public final class ExportOnnxCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Base model directory.")
    Path model;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory (replaced atomically).")
    Path out;

    @Option(names = "--weights", paramLabel = "MODE", defaultValue = "link",
            description = "link (default): point into the float32 .safetensors, hard-linked (copied across file systems); "
                    + "FP16/BF16 widened into model.onnx.data. copy: every weight as float32 in model.onnx.data.")
    String weights;

    @Mixin
    AdapterFlags adapterFlags = new AdapterFlags();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        OnnxExport.WeightStorage storage = switch (weights.toLowerCase(Locale.ROOT)) {
            case "link" -> OnnxExport.WeightStorage.LINK;
            case "copy" -> OnnxExport.WeightStorage.COPY;
            default -> throw new Peft4jException("--weights must be link or copy, got '" + weights + "'");
        };
        try (LoadedModel m = LoadedModel.open(model, Engines.byName("onnx"), new EngineOptions("cpu", 1))) {
            adapterFlags.apply(m.model());
            OnnxExport.Result r = ModelExport.write(m.model(), OnnxExport.to(out, storage));
            var o = spec.commandLine().getOut();
            o.printf(Locale.ROOT, "exported %s to %s in %.1f s%n", model, out, r.seconds());
            o.printf(Locale.ROOT, "  %s, weights %.1f MB in %s (%.1f MB copied)%n", OnnxExport.MODEL_FILE, r.weightBytes() / 1e6,
                    String.join(", ", r.weightFiles()), r.copiedBytes() / 1e6);
            r.adapterFiles().forEach((name, file) -> o.println("  adapter " + name + ": " + file));
            o.println("  " + OnnxExport.DESCRIPTION_FILE + ": inputs, outputs, KV cache, token ids, adapters");
        }
        return 0;
    }
}
