package ai.peft4j.api.io;

import ai.peft4j.api.Peft4jException;
import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Writes files and directories so that readers, and a crash, see either the old content or the
 * complete new content, never a mix.
 *
 * <p>Files are written to a temporary sibling {@code .<name>.tmp-<random>}, forced to disk, and
 * renamed over the target with {@code ATOMIC_MOVE}; the parent directory is then forced so the
 * rename itself is durable. On any failure the temporary file is deleted and the target is
 * untouched. (If the file system cannot rename atomically, a plain replacing move is used.)
 *
 * <p>{@link #replaceDirectory} cannot swap two directories in one step, so it renames the old
 * directory to {@code .<name>.bak-<random>}, renames the new one into place, then deletes the
 * backup. If the process dies between the two renames, the target is missing and the complete
 * old directory is in the backup sibling: rename it back to recover. Otherwise the target is
 * the complete old or the complete new directory. A crash may leave {@code .tmp-} siblings,
 * which are safe to delete.
 *
 * <pre>{@code
 * AtomicFiles.writeString(dir.resolve("adapter_config.json"), json);
 * AtomicFiles.write(path, out -> out.write(bytes));
 * AtomicFiles.replaceDirectory(adapterDir, tmp -> saveAdapterInto(tmp));
 * }</pre>
 */
public final class AtomicFiles {
    private static final SecureRandom RANDOM = new SecureRandom();

    private AtomicFiles() {
    }

    /** Writes a file through a channel; package-private so writers can stream direct buffers. */
    @FunctionalInterface
    interface ChannelWriter {
        void write(FileChannel channel) throws IOException;
    }

    /**
     * Atomically replaces {@code target} with what {@code writer} writes.
     *
     * @throws Peft4jException naming the target if writing fails; exceptions the writer throws
     *     unchecked are rethrown as they are
     */
    public static void write(Path target, IoWriter writer) {
        try {
            writeChannel(target, ch -> {
                OutputStream out = new KeepOpen(new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16));
                writer.write(out);
                out.flush();
            });
        } catch (IOException e) {
            throw new Peft4jException(target + ": cannot write: " + e, e);
        }
    }

    /** Atomically replaces {@code target} with {@code content} in UTF-8. */
    public static void writeString(Path target, String content) {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        write(target, out -> out.write(bytes));
    }

    /**
     * Replaces directory {@code target} with a new one that {@code writer} fills, as described in
     * the class comment. Parent directories are created as needed.
     *
     * @throws Peft4jException naming the target if writing or swapping fails; the old directory
     *     is then still in place
     */
    public static void replaceDirectory(Path target, IoDirWriter writer) {
        Path abs = target.toAbsolutePath().normalize();
        Path parent = parentOf(target, abs);
        String name = abs.getFileName().toString();
        Path tmp = null;
        try {
            Files.createDirectories(parent);
            if (Files.exists(abs, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(abs, LinkOption.NOFOLLOW_LINKS)) {
                throw new Peft4jException(target + ": exists and is not a directory");
            }
            tmp = createTempDirectory(parent, name);
            writer.write(tmp);
            forceTree(tmp);
            if (Files.exists(abs, LinkOption.NOFOLLOW_LINKS)) {
                Path backup = sibling(parent, name, "bak");
                move(abs, backup);
                try {
                    move(tmp, abs);
                } catch (IOException | RuntimeException e) {
                    try {
                        move(backup, abs);
                    } catch (IOException restore) {
                        e.addSuppressed(restore);
                    }
                    throw e;
                }
                tmp = null;
                forceDirectory(parent);
                deleteQuietly(backup); // the new directory is in place; the backup is garbage now
            } else {
                move(tmp, abs);
                tmp = null;
                forceDirectory(parent);
            }
        } catch (IOException e) {
            throw new Peft4jException(target + ": cannot replace directory: " + e, e);
        } finally {
            if (tmp != null) {
                deleteQuietly(tmp);
            }
        }
    }

    /** The atomic-file core: temp sibling, write, force, rename, force the parent. */
    static void writeChannel(Path target, ChannelWriter writer) throws IOException {
        Path abs = target.toAbsolutePath().normalize();
        Path parent = parentOf(target, abs);
        Files.createDirectories(parent);
        String name = abs.getFileName().toString();
        Path tmp = sibling(parent, name, "tmp");
        FileChannel opened;
        try {
            // plain creation (not createTempFile) keeps the default, umask-based permissions
            opened = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (FileAlreadyExistsException e) {
            tmp = sibling(parent, name, "tmp"); // a 64-bit random name collided: try once more
            opened = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        }
        boolean done = false;
        try {
            try (FileChannel ch = opened) {
                writer.write(ch);
                ch.force(true);
            }
            move(tmp, abs);
            done = true;
            forceDirectory(parent);
        } finally {
            if (!done) {
                deleteQuietly(tmp);
            }
        }
    }

    private static Path parentOf(Path target, Path abs) {
        if (abs.getParent() == null) {
            throw new Peft4jException(target + ": cannot replace a file system root");
        }
        return abs.getParent();
    }

    /** A fresh name {@code .<name>.<kind>-<random>} next to the target. */
    private static Path sibling(Path parent, String name, String kind) {
        return parent.resolve("." + name + "." + kind + "-" + Long.toUnsignedString(RANDOM.nextLong(), 36));
    }

    private static Path createTempDirectory(Path parent, String name) throws IOException {
        try {
            return Files.createDirectory(sibling(parent, name, "tmp"));
        } catch (FileAlreadyExistsException e) {
            return Files.createDirectory(sibling(parent, name, "tmp"));
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Forces a directory's entries to disk; best effort, since not every platform can open a directory. */
    private static void forceDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | RuntimeException ignored) {
            // durability of the rename is then up to the file system; atomicity is unaffected
        }
    }

    /** Forces every regular file under {@code root}, then the directories, before the rename. */
    private static void forceTree(Path root) throws IOException {
        List<Path> dirs = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
                        ch.force(true);
                    }
                } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    dirs.add(p);
                }
            }
        }
        dirs.forEach(AtomicFiles::forceDirectory);
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static void deleteQuietly(Path p) {
        try {
            deleteTree(p);
        } catch (IOException | RuntimeException ignored) {
            // cleanup after a failure must not hide the original error
        }
    }

    /** Lets a writer close its stream without closing the channel we still need to force. */
    private static final class KeepOpen extends FilterOutputStream {
        KeepOpen(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
