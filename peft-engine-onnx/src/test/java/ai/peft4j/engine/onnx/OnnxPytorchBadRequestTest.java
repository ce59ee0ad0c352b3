package ai.peft4j.engine.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.checkpoint.Checkpoint;
import ai.peft4j.api.engine.DecoderRuntime;
import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.engine.ForwardRequest;
import ai.peft4j.api.engine.KvCache;
import ai.peft4j.api.engine.TrainBatch;
import ai.peft4j.api.model.HookSet;
import ai.peft4j.engine.pytorch.PtEngine;
import ai.peft4j.testkit.Fixtures;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same bad request fails with the same message on both engines: both check it with
 * {@link ForwardRequest#validate} before doing anything engine-specific.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OnnxPytorchBadRequestTest {
    @TempDir
    static Path tmp;

    private Checkpoint gpt2;
    private Checkpoint windowed;
    /** [onnx, pytorch] on tiny-gpt2 (context 128, vocabulary 1250). */
    private DecoderRuntime[] pair;
    /** [onnx, pytorch] on tiny-qwen2 with a sliding window of 4. */
    private DecoderRuntime[] windowedPair;

    @BeforeAll
    void setUp() throws IOException {
        EngineOptions o = new EngineOptions("cpu", 1);
        gpt2 = Checkpoint.open(Fixtures.model("tiny-gpt2"));
        pair = new DecoderRuntime[] {new OnnxEngine().load(gpt2, o), new PtEngine().load(gpt2, o)};
        windowed = Checkpoint.open(slidingWindowCopy("tiny-qwen2", 4));
        windowedPair = new DecoderRuntime[] {new OnnxEngine().load(windowed, o), new PtEngine().load(windowed, o)};
    }

    /** A copy of a fixture model whose config turns a sliding window on (the fixture itself is left as it is). */
    private static Path slidingWindowCopy(String model, int window) throws IOException {
        Path dir = tmp.resolve(model + "-window" + window);
        Files.createDirectories(dir);
        try (Stream<Path> files = Files.list(Fixtures.model(model))) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, dir.resolve(f.getFileName()));
            }
        }
        Path config = dir.resolve("config.json");
        JsonObject c = JsonParser.parseString(Files.readString(config)).getAsJsonObject();
        c.addProperty("use_sliding_window", true);
        c.addProperty("sliding_window", window);
        Files.writeString(config, c.toString());
        return dir;
    }

    @AfterAll
    void tearDown() {
        for (DecoderRuntime rt : pair) {
            rt.close();
        }
        for (DecoderRuntime rt : windowedPair) {
            rt.close();
        }
        gpt2.close();
        windowed.close();
    }

    /** One bad request, run on a runtime with a fresh cache it may use. */
    private interface BadRequest {
        void run(DecoderRuntime rt, KvCache cache);
    }

    private static int[][] tokens(int n) {
        int[][] ids = new int[1][n];
        for (int j = 0; j < n; j++) {
            ids[0][j] = (j * 37 + 5) % 1000;
        }
        return ids;
    }

    private static ForwardRequest start(int[][] ids, HookSet hooks) {
        return ForwardRequest.start(ids, null, hooks, null, false);
    }

    /** Bad requests by name, each with a part of the message it must fail with. */
    private static Map<String, Object[]> badRequests() {
        HookSet softPrompt = HookSet.builder().input(TestHooks.softPrompt("prompt.unused", 4)).build();
        Map<String, Object[]> cases = new LinkedHashMap<>();
        cases.put("token id above the vocabulary", new Object[] {"outside the vocabulary (0..1249)",
            (BadRequest) (rt, c) -> rt.forward(start(new int[][] {{5, 1250, 7}}, HookSet.EMPTY), null)});
        cases.put("negative token id", new Object[] {"token id -1 (row 1, position 0)",
            (BadRequest) (rt, c) -> rt.forward(start(new int[][] {{5, 6}, {-1, 6}}, HookSet.EMPTY), null)});
        cases.put("longer than the context", new Object[] {"sequence of 129 positions exceeds the model's context of 128",
            (BadRequest) (rt, c) -> rt.forward(start(tokens(129), HookSet.EMPTY), null)});
        cases.put("soft prompt pushes past the context", new Object[] {"sequence of 130 positions exceeds",
            (BadRequest) (rt, c) -> rt.forward(start(tokens(126), softPrompt), null)});
        cases.put("cache plus new past the context", new Object[] {"sequence of 129 positions exceeds",
            (BadRequest) (rt, c) -> {
                rt.forward(start(tokens(128), HookSet.EMPTY), c);
                int[][] mask = {new int[129]};
                Arrays.fill(mask[0], 1);
                rt.forward(ForwardRequest.next(new int[] {4}, mask, HookSet.EMPTY, null), c);
            }});
        cases.put("loss longer than the context", new Object[] {"exceeds the model's context of 128",
            (BadRequest) (rt, c) -> rt.lossAndGradients(new TrainBatch(tokens(129), null, tokens(129)), HookSet.EMPTY, false)});
        cases.put("decoding step without a cache", new Object[] {"needs the cache",
            (BadRequest) (rt, c) -> rt.forward(ForwardRequest.next(new int[] {4}, new int[][] {{1, 1, 1, 1}}, HookSet.EMPTY, null),
                    null)});
        cases.put("mask not covering cache and new", new Object[] {"attention mask has 6 positions; cache 3 + new 1 expected",
            (BadRequest) (rt, c) -> {
                rt.forward(start(tokens(3), HookSet.EMPTY), c);
                rt.forward(ForwardRequest.next(new int[] {4}, new int[][] {{1, 1, 1, 1, 1, 1}}, HookSet.EMPTY, null), c);
            }});
        cases.put("position ids missing the virtual tokens", new Object[] {"position ids cover 3 positions but the request has 3 "
                + "tokens + 4 virtual tokens",
            (BadRequest) (rt, c) -> rt.forward(new ForwardRequest(tokens(3), new int[][] {{1, 1, 1}}, new int[][] {{0, 1, 2}},
                    softPrompt, true, null, false), null)});
        cases.put("position id outside the context", new Object[] {"position id 500 (row 0) is outside the model's context (0..127)",
            (BadRequest) (rt, c) -> rt.forward(new ForwardRequest(tokens(3), new int[][] {{1, 1, 1}}, new int[][] {{0, 1, 500}},
                    HookSet.EMPTY, true, null, false), null)});
        cases.put("cache of another batch size", new Object[] {"the cache holds 1 rows but the request has 2",
            (BadRequest) (rt, c) -> {
                rt.forward(start(tokens(3), HookSet.EMPTY), c);
                rt.forward(ForwardRequest.next(new int[] {4, 4}, new int[][] {{1, 1, 1, 1}, {1, 1, 1, 1}}, HookSet.EMPTY, null), c);
            }});
        cases.put("row adapters for another batch size", new Object[] {"batch size mismatch",
            (BadRequest) (rt, c) -> rt.forward(ForwardRequest.start(tokens(3), null, HookSet.EMPTY, new String[] {"a", "b"}, false),
                    null)});
        cases.put("ragged batch", new Object[] {"ragged batch",
            (BadRequest) (rt, c) -> rt.forward(start(new int[][] {{1, 2, 3}, {1, 2}}, HookSet.EMPTY), null)});
        return cases;
    }

    private static String message(DecoderRuntime rt, BadRequest request) {
        try (KvCache cache = rt.newCache()) {
            Throwable t = catchThrowable(() -> request.run(rt, cache));
            assertThat(t).as(rt.engine().name()).isInstanceOf(Peft4jException.class);
            return t.getMessage();
        }
    }

    @Test
    void everyBadRequestFailsWithTheSameMessageOnBothEngines() {
        badRequests().forEach((name, c) -> {
            String onnx = message(pair[0], (BadRequest) c[1]);
            String pytorch = message(pair[1], (BadRequest) c[1]);
            assertThat(pytorch).as(name).isEqualTo(onnx).contains((String) c[0]);
        });
    }

    @Test
    void aSequenceBeyondTheSlidingWindowFailsTheSameOnBothEngines() {
        BadRequest tooLong = (rt, c) -> rt.forward(start(tokens(5), HookSet.EMPTY), null);
        String onnx = message(windowedPair[0], tooLong);
        assertThat(message(windowedPair[1], tooLong)).isEqualTo(onnx)
                .contains("sequence of 5 positions exceeds the model's sliding window of 4");
        // Inside the window both run.
        for (DecoderRuntime rt : windowedPair) {
            assertThat(rt.forward(start(tokens(4), HookSet.EMPTY), null).data()).isNotEmpty();
        }
    }

    @Test
    void theOtherEnginesCacheIsRefusedAlikeButForTheNames() {
        String[] messages = new String[2];
        for (int i = 0; i < 2; i++) {
            DecoderRuntime rt = pair[i];
            try (KvCache foreign = pair[1 - i].newCache()) {
                Throwable t = catchThrowable(() -> rt.forward(start(tokens(3), HookSet.EMPTY), foreign));
                assertThat(t).isInstanceOf(Peft4jException.class);
                messages[i] = t.getMessage().replace("the " + rt.engine().name() + " engine", "the ENGINE engine")
                        .replace(foreign.getClass().getName(), "CACHE");
            }
        }
        assertThat(messages[1]).isEqualTo(messages[0]).isEqualTo("the ENGINE engine needs its own cache (runtime.newCache()), got CACHE");
    }
}
