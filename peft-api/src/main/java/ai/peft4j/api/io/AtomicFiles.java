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
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Writes files and directories so that readers, and a crash, see either the old content or the
 * complete new content, never a mix.
 *
 * <p>Files are written to a temporary sibling {@code .<name>.tmp-<random>}, forced to disk, and
 * renamed over the target with {@code ATOMIC_MOVE}; the parent directory is then forced so the
 * rename itself is durable. On any failure the temporary file is deleted and the target is
 * untouched. A file system that cannot rename atomically fails the write (a plain replacing move
 * could leave a reader or a crash with neither file), and the target is untouched.
 *
 * <p>{@link #replaceDirectory} cannot swap two directories in one step, so it renames the old
 * directory to {@code .<name>.bak-<random>}, renames the new one into place, then deletes the
 * backup. If the process dies between the two renames, the target is missing and the complete
 * old directory is in the backup sibling: rename it back to recover. Otherwise the target is
 * the complete old or the complete new directory. A crash may leave {@code .tmp-} and
 * {@code .del-} siblings, which are safe to delete ({@link #updateDirectory} deletes them, and
 * restores a backup, before it swaps).
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
        swapInDirectory(target, writer, null);
    }

    /**
     * Replaces directory {@code target} with a new one, as {@link #replaceDirectory} does, but
     * keeps what the new one does not replace: every entry of the old directory whose name the
     * writer did not write and {@code drop} does not name is carried into the new directory before
     * the swap. Files are carried as hard links (copied where the file system cannot link),
     * subdirectories are recreated, symbolic links are recreated as they are. So a crash leaves
     * the complete old directory or the complete new one, each with the other entries intact; that
     * is how an adapter is saved into a training run's output directory that also holds its
     * checkpoints.
     *
     * <p>If {@code target} is missing and a backup sibling from a swap interrupted between its two
     * renames exists, that backup (the complete old directory) is restored first. One writer per
     * directory at a time: entries another process adds to the old directory meanwhile are lost.
     *
     * <pre>{@code
     * AtomicFiles.updateDirectory(outDir, tmp -> writeAdapterInto(tmp), name -> name.equals("adapter_model.bin"));
     * }</pre>
     *
     * @param drop names of old entries not to carry over (stale files of the same kind)
     * @throws Peft4jException naming the target if writing, carrying over or swapping fails; the
     *     old directory is then still in place
     */
    public static void updateDirectory(Path target, IoDirWriter writer, Predicate<String> drop) {
        swapInDirectory(target, writer, drop);
    }

    /**
     * Restores {@code target} from the backup sibling {@code .<name>.bak-<random>} that a directory
     * swap interrupted between its two renames leaves behind, if {@code target} is missing.
     *
     * @return whether a backup was restored
     */
    public static boolean recoverDirectory(Path target) {
        Path abs = target.toAbsolutePath().normalize();
        Path parent = parentOf(target, abs);
        if (Files.exists(abs, LinkOption.NOFOLLOW_LINKS) || !Files.isDirectory(parent)) {
            return false;
        }
        Path newest = null;
        String prefix = "." + abs.getFileName() + ".bak-";
        try (Stream<Path> s = Files.list(parent)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String n = p.getFileName().toString();
                if (n.startsWith(prefix) && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)
                        && (newest == null || Files.getLastModifiedTime(p).compareTo(Files.getLastModifiedTime(newest)) > 0)) {
                    newest = p;
                }
            }
            if (newest == null) {
                return false;
            }
            move(newest, abs);
            forceDirectory(parent);
            return true;
        } catch (IOException e) {
            throw new Peft4jException(target + ": cannot restore it from its backup " + newest + ": " + e, e);
        }
    }

    private static void swapInDirectory(Path target, IoDirWriter writer, Predicate<String> drop) {
        Path abs = target.toAbsolutePath().normalize();
        Path parent = parentOf(target, abs);
        String name = abs.getFileName().toString();
        Path tmp = null;
        try {
            Files.createDirectories(parent);
            if (Files.exists(abs, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(abs, LinkOption.NOFOLLOW_LINKS)) {
                throw new Peft4jException(target + ": exists and is not a directory");
            }
            if (drop != null) {
                recoverDirectory(abs);
                removeLeftovers(parent, name);
            }
            tmp = createTempDirectory(parent, name);
            writer.write(tmp);
            if (drop != null && Files.isDirectory(abs, LinkOption.NOFOLLOW_LINKS)) {
                carryOver(abs, tmp, drop);
            }
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
                discard(parent, name, backup); // the new directory is in place; the backup is garbage now
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

    /**
     * Renames a directory to a {@code .del-} sibling before deleting it, so that a deletion cut
     * short never leaves a partial directory under a {@code .bak-} name, which would look like a
     * complete backup to {@link #recoverDirectory}.
     */
    private static void discard(Path parent, String name, Path dir) {
        Path doomed = sibling(parent, name, "del");
        try {
            move(dir, doomed);
        } catch (IOException | RuntimeException e) {
            doomed = dir;
        }
        deleteQuietly(doomed);
    }

    /**
     * Deletes what killed swaps of {@code name} left beside it while {@code name} itself exists:
     * temporaries being written, directories being deleted, and backups made redundant.
     */
    private static void removeLeftovers(Path parent, String name) throws IOException {
        if (!Files.isDirectory(parent.resolve(name), LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        List<Path> stale;
        String prefix = "." + name + ".";
        try (Stream<Path> s = Files.list(parent)) {
            stale = s.filter(p -> {
                String n = p.getFileName().toString();
                return n.startsWith(prefix) && n.substring(prefix.length()).matches("(tmp|del|bak)-[0-9a-z]+");
            }).toList();
        }
        stale.forEach(AtomicFiles::deleteQuietly);
    }

    /** Carries the entries of {@code from} that {@code to} lacks and {@code drop} does not name. */
    private static void carryOver(Path from, Path to, Predicate<String> drop) throws IOException {
        List<Path> entries;
        try (Stream<Path> s = Files.list(from)) {
            entries = s.toList();
        }
        for (Path p : entries) {
            String n = p.getFileName().toString();
            Path dst = to.resolve(n);
            if (!drop.test(n) && !Files.exists(dst, LinkOption.NOFOLLOW_LINKS)) {
                linkTree(p, dst);
            }
        }
    }

    /** Recreates {@code src} at {@code dst}: hard links for files (a copy where linking fails). */
    private static void linkTree(Path src, Path dst) throws IOException {
        BasicFileAttributes a = Files.readAttributes(src, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (a.isSymbolicLink()) {
            Files.createSymbolicLink(dst, Files.readSymbolicLink(src));
        } else if (a.isDirectory()) {
            Files.createDirectory(dst);
            try (Stream<Path> s = Files.list(src)) {
                for (Path p : (Iterable<Path>) s::iterator) {
                    linkTree(p, dst.resolve(p.getFileName().toString()));
                }
            }
        } else if (a.isRegularFile()) {
            try {
                Files.createLink(dst, src);
            } catch (UnsupportedOperationException | IOException e) {
                Files.copy(src, dst, StandardCopyOption.COPY_ATTRIBUTES); // another file system below, or no hard links
            }
        } else {
            throw new IOException(src + ": not a file, directory or symbolic link, so it cannot be carried into the new directory");
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

    /** An atomic rename; a file system that cannot rename atomically fails the write instead. */
    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the file system cannot rename " + from.getFileName() + " to " + to.getFileName()
                    + " atomically, so it cannot be replaced safely: " + e.getMessage(), e);
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
