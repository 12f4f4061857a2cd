package dev.nnc.compiler.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.runtime.ArtifactException;
import dev.nnc.runtime.ArtifactSignature;
import dev.nnc.runtime.NncModel;
import dev.nnc.runtime.Trust;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Signed artifacts: {@code nnc keygen}, {@code nnc compile --sign}, {@code --trust} on inspect and run, and
 * {@link NncModel#load(Path, Trust)} against tampering: an altered manifest, an entry changed with its checksum
 * recomputed, a signature swapped for another key's, a garbage signature, and a stripped one.
 */
class SigningTest {

    @TempDir
    static Path dir;
    private static Path signed;
    private static Path unsigned;
    private static PublicKey mine;
    private static PublicKey theirs;

    @BeforeAll
    static void compileSignedAndUnsigned() throws Exception {
        Path mlp = Path.of("..", "examples", "mlp.nn");
        assertEquals(Main.OK, CliTest.nnc("keygen", "-o", dir.resolve("me.key").toString()).code());
        assertEquals(Main.OK, CliTest.nnc("keygen", "-o", dir.resolve("them.key").toString()).code());
        signed = dir.resolve("signed.nnc");
        unsigned = dir.resolve("unsigned.nnc");
        CliTest.Outcome compile = CliTest.nnc("compile", mlp.toString(), "-o", signed.toString(), "--sign", dir.resolve("me.key").toString());
        assertEquals(Main.OK, compile.code(), compile.err());
        assertEquals(Main.OK, CliTest.nnc("compile", mlp.toString(), "-o", unsigned.toString()).code());
        mine = ArtifactSignature.readPublicKey(dir.resolve("me.key.pub"));
        theirs = ArtifactSignature.readPublicKey(dir.resolve("them.key.pub"));
    }

    @Test
    void aSignedArtifactLoadsForItsKeyAndNamesItsSigner() throws Exception {
        for (Trust trust : List.of(Trust.ANY, Trust.signedBy(mine), Trust.signedBy(theirs, mine))) {
            try (NncModel model = NncModel.load(signed, trust)) {
                assertEquals(ArtifactSignature.fingerprint(mine), model.signer().orElseThrow().fingerprint());
            }
        }
        try (NncModel model = NncModel.load(unsigned)) {
            assertTrue(model.signer().isEmpty());
        }
    }

    @Test
    void anotherKeyOrNoSignatureIsRefusedWhenOneIsRequired() {
        assertRefused(signed, Trust.signedBy(theirs), "it is signed by " + ArtifactSignature.fingerprint(mine) + ", not by a trusted key");
        assertRefused(unsigned, Trust.signedBy(mine), "it is not signed, and a signature by " + ArtifactSignature.fingerprint(mine) + " is required");
    }

    @Test
    void tamperingAfterSigningIsRefusedEvenWithoutRequiringASignature() throws Exception {
        Path manifest = rewrite(signed, "manifest", entries -> {
            entries.put("manifest.json", text(entries.get("manifest.json")).replace("\"max_batch\": 64", "\"max_batch\": 6400").getBytes(StandardCharsets.UTF_8));
            return entries;
        });
        assertRefused(manifest, Trust.ANY, "its signature does not match manifest.json: the artifact was altered after");

        Path program = rewrite(signed, "program", entries -> {   // an entry changed and its checksum recomputed, as an attacker would
            byte[] before = entries.get("opencl/kernels.cl");
            byte[] after = (text(before) + "\n// altered\n").getBytes(StandardCharsets.UTF_8);
            entries.put("opencl/kernels.cl", after);
            entries.put("manifest.json", text(entries.get("manifest.json")).replace(dev.nnc.runtime.Sha256.of(before), dev.nnc.runtime.Sha256.of(after))
                    .getBytes(StandardCharsets.UTF_8));
            return entries;
        });
        assertRefused(program, Trust.ANY, "its signature does not match manifest.json");

        Path swapped = rewrite(signed, "swapped", entries -> {   // their signature entry in place of mine
            try (ZipFile other = new ZipFile(signedBy("them").toFile())) {
                entries.put("signature.json", other.getInputStream(other.getEntry("signature.json")).readAllBytes());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            return entries;
        });
        // the same source compiles to the same manifest, so their signature is a valid one, by them: only trust tells
        try (NncModel model = NncModel.load(swapped)) {
            assertEquals(ArtifactSignature.fingerprint(theirs), model.signer().orElseThrow().fingerprint());
        }
        assertRefused(swapped, Trust.signedBy(mine), "it is signed by " + ArtifactSignature.fingerprint(theirs) + ", not by a trusted key");

        Path garbage = rewrite(signed, "garbage", entries -> {
            entries.put("signature.json", "{\"algorithm\": \"Ed25519\", \"public_key\": \"AAAA\", \"signature\": \"AAAA\"}".getBytes(StandardCharsets.UTF_8));
            return entries;
        });
        assertRefused(garbage, Trust.ANY, "signature.json holds no valid Ed25519 key and signature");
    }

    @Test
    void aStrippedSignatureLeavesAnUnsignedArtifactWhichOnlyASignatureRequirementCatches() throws Exception {
        Path stripped = rewrite(signed, "stripped", entries -> {
            entries.remove("signature.json");
            return entries;
        });
        try (NncModel model = NncModel.load(stripped)) {
            assertTrue(model.signer().isEmpty(), "checksums alone cannot tell a stripped artifact from an unsigned one");
        }
        assertRefused(stripped, Trust.signedBy(mine), "it is not signed");
    }

    @Test
    void theCommandLineSignsShowsAndChecksSigners() {
        CliTest.Outcome shown = CliTest.nnc("inspect", signed.toString(), "--trust", dir.resolve("me.key.pub").toString());
        assertEquals(Main.OK, shown.code(), shown.err());
        assertTrue(shown.out().contains("signed    by " + ArtifactSignature.fingerprint(mine) + " (verified)"), shown.out());
        CliTest.Outcome plain = CliTest.nnc("inspect", unsigned.toString());
        assertTrue(plain.out().contains("signed    no (checksums only)"), plain.out() + plain.err());

        CliTest.Outcome wrongKey = CliTest.nnc("run", signed.toString(), "-i", "x=x.npy", "--trust", dir.resolve("them.key.pub").toString());
        assertEquals(Main.USER_ERROR, wrongKey.code());
        assertTrue(wrongKey.err().contains("not by a trusted key"), wrongKey.err());

        CliTest.Outcome again = CliTest.nnc("keygen", "-o", dir.resolve("me.key").toString());
        assertEquals(Main.USER_ERROR, again.code());
        assertTrue(again.err().contains("exists; a new key would orphan what it signed (--force replaces it)"), again.err());

        CliTest.Outcome noKey = CliTest.nnc("compile", Path.of("..", "examples", "mlp.nn").toString(), "-o", dir.resolve("x.nnc").toString(), "--sign", dir.resolve("none.key").toString());
        assertEquals(Main.USER_ERROR, noKey.code());
        assertTrue(noKey.err().startsWith("nnc compile: --sign cannot read key file "), noKey.err());
        assertFalse(Files.exists(dir.resolve("x.nnc")));
    }

    private static Path signedBy(String who) throws Exception {
        Path out = dir.resolve("by-" + who + ".nnc");
        if (!Files.exists(out)) {
            CliTest.Outcome o = CliTest.nnc("compile", Path.of("..", "examples", "mlp.nn").toString(), "-o", out.toString(), "--sign", dir.resolve(who + ".key").toString());
            assertEquals(Main.OK, o.code(), o.err());
        }
        return out;
    }

    private static void assertRefused(Path artifact, Trust trust, String reason) {
        ArtifactException e = assertThrows(ArtifactException.class, () -> NncModel.load(artifact, trust).close());
        assertTrue(e.getMessage().contains(reason), e.getMessage());
    }

    /** A copy of {@code artifact} with its entries passed through {@code change}, in the same order and storage (the weights stay STORED in place). */
    private static Path rewrite(Path artifact, String name, UnaryOperator<Map<String, byte[]>> change) throws Exception {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        Map<String, ZipEntry> originals = new LinkedHashMap<>();
        try (ZipFile zip = new ZipFile(artifact.toFile())) {
            for (ZipEntry e : Collections.list(zip.entries())) {
                entries.put(e.getName(), zip.getInputStream(e).readAllBytes());
                originals.put(e.getName(), e);
            }
        }
        Map<String, byte[]> changed = change.apply(entries);
        List<String> order = new ArrayList<>(originals.keySet());
        for (String n : changed.keySet()) if (!order.contains(n)) order.add(n);
        Path out = dir.resolve(name + ".nnc");
        try (OutputStream file = Files.newOutputStream(out); ZipOutputStream zip = new ZipOutputStream(file)) {
            for (String n : order) {
                if (!changed.containsKey(n)) continue;
                byte[] bytes = changed.get(n);
                ZipEntry original = originals.get(n);
                ZipEntry entry = new ZipEntry(n);
                if (original != null && original.getMethod() == ZipEntry.STORED) {
                    CRC32 crc = new CRC32();
                    crc.update(bytes);
                    entry.setMethod(ZipEntry.STORED);
                    entry.setSize(bytes.length);
                    entry.setCompressedSize(bytes.length);
                    entry.setCrc(crc.getValue());
                    entry.setExtra(original.getExtra());
                }
                if (original != null) entry.setTime(original.getTime());
                zip.putNextEntry(entry);
                zip.write(bytes);
                zip.closeEntry();
            }
        }
        return out;
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
