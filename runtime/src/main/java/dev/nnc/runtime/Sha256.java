package dev.nnc.runtime;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Computes the lower-case hex sha256 digests the manifest records for artifact entries and for the model's source:
 * the one digest helper of the project (the compiler uses it too).
 */
public final class Sha256 {

    private Sha256() {
    }

    /** A fresh sha256 digest; every JDK provides the algorithm. */
    static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no SHA-256", e);
        }
    }

    /** Feeds a segment's bytes (heap or native) to {@code digest} in chunks, never copying it onto the heap whole. */
    static void update(MessageDigest digest, MemorySegment segment) {
        try {
            Safetensors.copy(segment, new DigestOutputStream(OutputStream.nullOutputStream(), digest));
        } catch (IOException e) {
            throw new UncheckedIOException("a null stream cannot fail", e);
        }
    }

    static String hex(MessageDigest digest) {
        return HexFormat.of().formatHex(digest.digest());
    }

    /** The digest of {@code bytes}. */
    public static String of(byte[] bytes) {
        MessageDigest digest = newDigest();
        digest.update(bytes);
        return hex(digest);
    }

    static String of(MemorySegment segment) {
        MessageDigest digest = newDigest();
        update(digest, segment);
        return hex(digest);
    }
}
