package ai.peft4j.lora;

import static org.assertj.core.api.Assertions.assertThat;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.generate.GenerationConfig;
import ai.peft4j.api.peft.PeftModel;
import ai.peft4j.engine.pytorch.PtEngine;
import ai.peft4j.testkit.Fixtures;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Serving load on the PyTorch engine: 8 threads share one {@link PeftModel} with two LoRA
 * adapters and run 480 generation requests (single-adapter rows, the base model, and mixed
 * batches of both adapters and {@code __base__}; greedy and seeded sampling). Every output must
 * equal, token for token, the output of the same request run alone on one thread. The served
 * model is freshly opened, so the threads also race on the lazy load of the base weights.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ConcurrentMixedAdapterGenerationTest {
    private static final int THREADS = 8;
    private static final int REQUESTS = 480;
    private static final String A = "summarize";
    private static final String B = "translate";
    private static final String C = "hot-loaded";

    /** One request: prompt rows, the adapter of each row, and the decoding settings. */
    private record Request(int[][] ids, int[][] mask, String[] rows, GenerationConfig config) {}

    private static List<Request> requests;
    private static List<int[][]> expected;
    private static Request onC;
    private static int[][] expectedOnC;

    @BeforeAll
    static void singleThreadedResults() {
        requests = requests();
        expected = new ArrayList<>();
        try (PeftModel reference = open()) {
            for (Request r : requests) {
                expected.add(run(reference, r));
            }
            reference.loadAdapter(Fixtures.adapter("tiny-llama", "lora-default"), C);
            onC = new Request(new int[][] {prompt(99, 7)}, null, new String[] {C}, requests.get(0).config());
            expectedOnC = run(reference, onC);
        }
        // the test means something only if the adapters change the output
        assertThat(expected.get(0)).isNotEqualTo(expected.get(1));
        assertThat(expected.get(1)).isNotEqualTo(expected.get(2));
        assertThat(expected.get(0)).isNotEqualTo(expected.get(2));
    }

    @Test
    void everyConcurrentRequestEqualsItsSingleThreadedRun() throws Exception {
        try (PeftModel model = open()) {
            assertThat(serve(model, REQUESTS)).isEqualTo(REQUESTS);
        }
    }

    /**
     * Changes from another thread (load, activate, disable, delete) leave the served requests
     * exact, and a request for the adapter being loaded and deleted meanwhile either runs on all
     * of it or is refused because it is absent.
     */
    @Test
    void requestsStayExactWhileAnotherThreadLoadsAndDeletesAdapters() throws Exception {
        try (PeftModel model = open()) {
            AtomicInteger cycles = new AtomicInteger();
            AtomicInteger hits = new AtomicInteger();
            Runnable requestOnC = () -> {
                try {
                    assertThat(run(model, onC)).isEqualTo(expectedOnC);
                    hits.incrementAndGet();
                } catch (Peft4jException absent) {
                    assertThat(absent).hasMessageStartingWith("no adapter '" + C + "'");
                }
            };
            int served = serve(model, REQUESTS / 3, requestOnC, () -> {
                model.loadAdapter(Fixtures.adapter("tiny-llama", "lora-default"), C);
                model.setActiveAdapters(C);
                assertThat(run(model, onC)).isEqualTo(expectedOnC);
                try (var off = model.disableAdapters()) {
                    model.setActiveAdapters(A);
                }
                model.deleteAdapter(C);
                cycles.incrementAndGet();
            });
            assertThat(served).isEqualTo(REQUESTS / 3);
            assertThat(cycles.get()).isPositive();
            System.out.printf("%d requests served during %d load/delete cycles; %d requests on the hot-loaded adapter ran%n",
                    served, cycles.get(), hits.get());
            assertThat(model.adapterNames()).containsExactly(A, B);
        }
    }

    /**
     * Runs {@code count} requests (cycling through the distinct ones) on {@link #THREADS} threads,
     * checking each against its single-threaded result, while one more thread per
     * {@code background} task repeats it until they finish. Returns the number of requests checked.
     */
    private static int serve(PeftModel model, int count, Runnable... background) throws Exception {
        AtomicInteger next = new AtomicInteger();
        AtomicInteger checked = new AtomicInteger();
        AtomicBoolean serving = new AtomicBoolean(true);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS + background.length);
        try {
            List<Future<?>> others = new ArrayList<>();
            for (Runnable task : background) {
                others.add(pool.submit(() -> {
                    while (serving.get()) {
                        task.run();
                        Thread.yield();
                    }
                    return null;
                }));
            }
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                workers.add(pool.submit(() -> {
                    for (int i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
                        int k = i % requests.size();
                        assertThat(run(model, requests.get(k))).as("request %d (%s)", i, Arrays.toString(requests.get(k).rows()))
                                .isEqualTo(expected.get(k));
                        checked.incrementAndGet();
                    }
                    return null;
                }));
            }
            try {
                for (Future<?> f : workers) {
                    f.get();
                }
            } finally {
                serving.set(false);
            }
            for (Future<?> f : others) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        return checked.get();
    }

    private static PeftModel open() {
        PeftModel model = PeftModel.open(Fixtures.model("tiny-llama"), new PtEngine(), new EngineOptions("cpu", 0));
        model.loadAdapter(Fixtures.adapter("tiny-llama", "lora-all-linear"), A);
        model.loadAdapter(Fixtures.adapter("tiny-llama", "lora-regex-rslora-patterns"), B);
        return model;
    }

    private static int[][] run(PeftModel model, Request r) {
        return model.generate(r.ids(), r.mask(), r.config(), r.rows()).sequences();
    }

    /** 24 distinct requests; the first three are one prompt under A, B and the base model. */
    private static List<Request> requests() {
        GenerationConfig greedy = GenerationConfig.builder().maxNewTokens(8).build();
        GenerationConfig sampled = GenerationConfig.builder().maxNewTokens(8).doSample(true).temperature(0.9).topK(50)
                .seed(7).build();
        List<Request> out = new ArrayList<>();
        for (int p = 0; p < 4; p++) {
            int[] prompt = prompt(p, 5 + p);
            GenerationConfig cfg = p % 2 == 0 ? greedy : sampled;
            for (String one : new String[] {A, B, PeftModel.BASE}) {
                out.add(new Request(new int[][] {prompt}, null, new String[] {one}, cfg));
            }
            // a left-padded mixed batch, rows in three assignments
            int[][] ids = {prompt(p + 10, 6), prompt(p + 20, 4), prompt(p + 30, 6)};
            int[][] padded = new int[3][6];
            int[][] mask = new int[3][6];
            for (int i = 0; i < 3; i++) {
                int pad = 6 - ids[i].length;
                System.arraycopy(ids[i], 0, padded[i], pad, ids[i].length);
                Arrays.fill(mask[i], pad, 6, 1);
            }
            out.add(new Request(padded, mask, new String[] {A, B, PeftModel.BASE}, cfg));
            out.add(new Request(padded, mask, new String[] {PeftModel.BASE, A, B}, cfg));
            out.add(new Request(padded, mask, new String[] {B, B, A}, cfg));
        }
        return out;
    }

    private static int[] prompt(int seed, int length) {
        int[] ids = new int[length];
        for (int i = 0; i < length; i++) {
            ids[i] = 3 + (seed * 131 + i * 37) % 1200;
        }
        return ids;
    }
}
