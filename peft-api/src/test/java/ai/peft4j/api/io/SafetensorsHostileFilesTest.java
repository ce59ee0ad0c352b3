package ai.peft4j.api.io;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Forged and damaged files: each must fail with a SafetensorsException naming the file (and tensor). */
class SafetensorsHostileFilesTest {

    @TempDir
    Path tmp;

    static Stream<Arguments> hostileFiles() {
        String ok = "\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]";
        return Stream.of(
                of("empty file", new byte[0], "0 bytes"),
                of("seven bytes", new byte[7], "7 bytes"),
                of("header length zero", withLength(0, ""), "header length is 0"),
                of("header length past the file", withLength(1000, "{}"), "header length 1000"),
                of("header length 2^63-1", withLength(Long.MAX_VALUE, "{}"), "9223372036854775807"),
                of("header length 2^64-1", withLength(-1, "{}"), "18446744073709551615"),
                of("header length over 100 MB", withLength(100_000_001, "{}"), "100000001"),
                of("header not JSON", file("not json at all", 0), "not valid JSON"),
                of("header only spaces", file("        ", 0), "not valid JSON"),
                of("header JSON array", file("[1,2,3]", 0), "not a JSON object"),
                of("header lenient JSON", file("{'t':{dtype:F32}}", 0), "not valid JSON"),
                of("header trailing data", file("{} {}", 0), "not valid JSON"),
                of("header not UTF-8", withLength(4, new byte[] {'{', (byte) 0xff, (byte) 0xfe, '}'}), "UTF-8"),
                of("nesting bomb", file("{\"t\":{" + ok + ",\"x\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}}", 8),
                        "not valid JSON"),
                of("unknown dtype", file("{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2),
                        "tensor 'w'", "F8_E4M3", "known: F32"),
                of("dtype not a string", file("{\"w\":{\"dtype\":4,\"shape\":[2],\"data_offsets\":[0,8]}}", 8), "tensor 'w'"),
                of("negative shape", file("{\"w\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8),
                        "tensor 'w'", "-2"),
                of("fractional shape", file("{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,8]}}", 8),
                        "tensor 'w'", "1.5"),
                of("shape as strings", file("{\"w\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}}", 8),
                        "tensor 'w'"),
                of("shape not an array", file("{\"w\":{\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]}}", 8),
                        "tensor 'w'"),
                of("element count overflows", file("{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],"
                        + "\"data_offsets\":[0,8]}}", 8), "tensor 'w'", "long"),
                of("byte count overflows", file("{\"w\":{\"dtype\":\"F64\",\"shape\":[2305843009213693952],"
                        + "\"data_offsets\":[0,8]}}", 8), "tensor 'w'", "long"),
                of("offset beyond a long", file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],"
                        + "\"data_offsets\":[0,99999999999999999999]}}", 8), "tensor 'w'", "too large"),
                of("offsets outside the file", file("{\"w\":{\"dtype\":\"F32\",\"shape\":[256],\"data_offsets\":[0,1024]}}", 16),
                        "tensor 'w'", "[0,1024]", "16-byte data area"),
                of("end before begin", file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 16),
                        "tensor 'w'", "[8,0]"),
                of("three offsets", file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,16]}}", 16),
                        "tensor 'w'", "[begin, end]"),
                of("byte length not matching shape", file("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 16),
                        "tensor 'w'", "needs 12"),
                of("overlapping tensors", file("{\"a\":{" + ok + "},\"b\":{\"dtype\":\"F32\",\"shape\":[2],"
                        + "\"data_offsets\":[4,12]}}", 16), "tensor 'b'", "tensor 'a'", "overlap"),
                of("same range twice", file("{\"a\":{" + ok + "},\"b\":{" + ok + "}}", 16), "overlap"),
                of("duplicate tensor", file("{\"a\":{" + ok + "},\"a\":{" + ok + "}}", 16), "'a' twice"),
                of("missing data_offsets", file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8),
                        "tensor 'w'", "data_offsets"),
                of("entry not an object", file("{\"w\":[1,2]}", 8), "tensor 'w'"),
                of("metadata value not a string", file("{\"__metadata__\":{\"format\":1}}", 0), "__metadata__", "'format'"),
                of("metadata not an object", file("{\"__metadata__\":\"pt\"}", 0), "__metadata__"));
    }

    private static Arguments of(String label, byte[] bytes, String... expected) {
        return Arguments.of(label, bytes, expected);
    }

    /** A file whose header is {@code json} followed by {@code dataBytes} zero bytes. */
    private static byte[] file(String json, int dataBytes) {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        byte[] withLen = withLength(h.length, h);
        return Arrays.copyOf(withLen, withLen.length + dataBytes);
    }

    private static byte[] withLength(long n, String rest) {
        return withLength(n, rest.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] withLength(long n, byte[] rest) {
        return ByteBuffer.allocate(8 + rest.length).order(ByteOrder.LITTLE_ENDIAN).putLong(n).put(rest).array();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostileFiles")
    void failsWithAClearMessage(String label, byte[] bytes, String[] expected) throws IOException {
        Path p = tmp.resolve("hostile-" + label.replace(' ', '-') + ".safetensors");
        Files.write(p, bytes);
        assertThatThrownBy(() -> SafetensorsFile.open(p).close())
                .isExactlyInstanceOf(SafetensorsException.class)
                .hasMessageStartingWith(p.toString() + ": ")
                .hasMessageContainingAll(expected)
                .hasMessageNotContaining("\n");
    }

    @Test
    void truncatedDataAreaNamesTheFirstTensorThatNoLongerFits() throws IOException {
        byte[] whole = Files.readAllBytes(IoTestFiles.path(IoTestFiles.LORA));
        Path p = tmp.resolve("cut.safetensors");
        Files.write(p, Arrays.copyOf(whole, whole.length - 100));
        assertThatThrownBy(() -> SafetensorsFile.open(p))
                .isExactlyInstanceOf(SafetensorsException.class)
                .hasMessageContaining("cut.safetensors")
                .hasMessageContaining("lie outside the")
                .hasMessageContaining("truncated");
    }

    @Test
    void truncatedInsideTheHeader() throws IOException {
        byte[] whole = Files.readAllBytes(IoTestFiles.path(IoTestFiles.LORA));
        Path p = tmp.resolve("cut-header.safetensors");
        Files.write(p, Arrays.copyOf(whole, 300));
        assertThatThrownBy(() -> SafetensorsFile.open(p))
                .isExactlyInstanceOf(SafetensorsException.class)
                .hasMessageContaining("cut-header.safetensors").hasMessageContaining("header length 512");
    }

    @Test
    void missingFileAndDirectory() {
        Path missing = tmp.resolve("missing.safetensors");
        assertThatThrownBy(() -> SafetensorsFile.open(missing))
                .isExactlyInstanceOf(SafetensorsException.class).hasMessageContaining("missing.safetensors");
        assertThatThrownBy(() -> SafetensorsFile.open(tmp))
                .isExactlyInstanceOf(SafetensorsException.class).hasMessageContaining(tmp.toString());
    }

    @Test
    void gapsAndUnknownFieldsAreAllowed() throws IOException {
        Path p = tmp.resolve("gaps.safetensors");
        Files.write(p, file("{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16],\"extra\":{\"x\":[1]}},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"z\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]},"
                + "\"__metadata__\":null}", 24));
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            org.assertj.core.api.Assertions.assertThat(f.tensors().keySet()).containsExactly("a", "b", "z");
        }
    }
}
