package ai.peft4j.engine.pytorch;

import ai.djl.Device;
import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.checkpoint.Checkpoint;
import ai.peft4j.api.engine.Capability;
import ai.peft4j.api.engine.DecoderRuntime;
import ai.peft4j.api.engine.Engine;
import ai.peft4j.api.engine.EngineOptions;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The {@code pytorch} engine plugin: trains and infers on DJL's PyTorch backend.
 *
 * <pre>{@code
 * DecoderRuntime rt = new PtEngine().load(Checkpoint.open(dir), new EngineOptions("cpu", 2));
 * }</pre>
 */
public final class PtEngine implements Engine {
    static {
        // Never reach for the network: the native library comes from the classpath jar.
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
    }

    @Override
    public String name() {
        return "pytorch";
    }

    @Override
    public Set<Capability> capabilities() {
        return EnumSet.of(Capability.TRAIN, Capability.INFER);
    }

    @Override
    public List<String> devices() {
        List<String> d = new ArrayList<>();
        d.add("cpu");
        int gpus = djl().getGpuCount();
        for (int i = 0; i < gpus; i++) {
            d.add("gpu:" + i);
        }
        return d;
    }

    static ai.djl.engine.Engine djl() {
        try {
            return ai.djl.engine.Engine.getEngine("PyTorch");
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            throw new Peft4jException("the PyTorch native library could not be loaded (is pytorch-native-cpu on the classpath?): "
                    + e.getMessage(), e);
        }
    }

    /** Maps a device name to a DJL device; {@code auto} is the first GPU when present. */
    static Device device(String name) {
        String n = name == null ? "auto" : name.toLowerCase(Locale.ROOT).trim();
        int gpus = djl().getGpuCount();
        if (n.equals("auto")) {
            return gpus > 0 ? Device.gpu() : Device.cpu();
        }
        if (n.equals("cpu")) {
            return Device.cpu();
        }
        if (n.startsWith("gpu") || n.startsWith("cuda")) {
            int idx = n.contains(":") ? Integer.parseInt(n.substring(n.indexOf(':') + 1)) : 0;
            if (idx >= gpus) {
                throw new Peft4jException("device '" + name + "' requested but DJL reports " + gpus
                        + " GPU(s); use --device cpu, or the CUDA build (see README)");
            }
            return Device.gpu(idx);
        }
        throw new Peft4jException("unknown device '" + name + "'; use auto, cpu, gpu or gpu:N");
    }

    @Override
    public DecoderRuntime load(Checkpoint checkpoint, EngineOptions options) {
        EngineOptions o = options == null ? EngineOptions.defaults() : options;
        o.checkEngineProperties(name(), optionNames());
        djl();
        if (o.threads() > 0) {
            ai.djl.pytorch.jni.JniUtils.setNumThreads(o.threads());
        }
        return new PtDecoderRuntime(this, checkpoint, device(o.device()), o);
    }
}
