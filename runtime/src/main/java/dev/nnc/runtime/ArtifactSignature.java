package dev.nnc.runtime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Ed25519 signatures of artifacts, with the JDK's own {@code java.security} EdDSA. An artifact's
 * {@code manifest.json} holds the sha256 of every other entry, and the loader checks each entry against it, so a
 * signature over the manifest's exact bytes covers the whole artifact. The signature lives in the entry
 * {@value #ENTRY}, written after the manifest: {@code {"algorithm": "Ed25519", "public_key": base64 X.509,
 * "signature": base64}}. Keys are PEM files: PKCS#8 for the private key (written owner-only), X.509 for the public.
 */
public final class ArtifactSignature {

    /** The zip entry holding the signature. */
    public static final String ENTRY = "signature.json";

    private static final String ALGORITHM = "Ed25519";

    private ArtifactSignature() {}

    /** A signer's public key and its short name, {@code ed25519:} and the first 16 hex digits of its encoding's sha256. */
    public record Signer(PublicKey key, String fingerprint) {
        static Signer of(PublicKey key) {
            return new Signer(key, ArtifactSignature.fingerprint(key));
        }
    }

    /** A new key pair. */
    public static KeyPair generate() {
        try {
            return KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK has no Ed25519", e);
        }
    }

    /** Writes {@code keys} as {@code privateFile} (owner read/write only where the file system allows it) and {@code publicFile}. */
    public static void write(KeyPair keys, Path privateFile, Path publicFile) throws IOException {
        byte[] privatePem = pem("PRIVATE KEY", keys.getPrivate().getEncoded());
        AtomicFiles.write(privateFile, out -> out.write(privatePem));
        try {
            Files.setPosixFilePermissions(privateFile, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: the file keeps its default permissions
        }
        byte[] publicPem = pem("PUBLIC KEY", keys.getPublic().getEncoded());
        AtomicFiles.write(publicFile, out -> out.write(publicPem));
        try {
            Files.setPosixFilePermissions(publicFile, PosixFilePermissions.fromString("rw-r--r--"));   // meant to be shared
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system
        }
    }

    /** The private key in a PEM file {@link #write} wrote. */
    public static PrivateKey readPrivateKey(Path file) throws ArtifactException {
        try {
            return KeyFactory.getInstance(ALGORITHM).generatePrivate(new PKCS8EncodedKeySpec(unpem(file, "PRIVATE KEY")));
        } catch (GeneralSecurityException e) {
            throw new ArtifactException(file + " is not an Ed25519 private key (" + e.getMessage() + "); make one with `nnc keygen`", e);
        }
    }

    /** The public key in a PEM file {@link #write} wrote. */
    public static PublicKey readPublicKey(Path file) throws ArtifactException {
        try {
            return KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(unpem(file, "PUBLIC KEY")));
        } catch (GeneralSecurityException e) {
            throw new ArtifactException(file + " is not an Ed25519 public key (" + e.getMessage() + "); `nnc keygen` writes one beside the private key", e);
        }
    }

    /** {@link #ENTRY}'s content for {@code manifest} signed with {@code key} (whose public half is {@code publicKey}). */
    static byte[] sign(byte[] manifest, PrivateKey key, PublicKey publicKey) {
        try {
            Signature signature = Signature.getInstance(ALGORITHM);
            signature.initSign(key);
            signature.update(manifest);
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("algorithm", ALGORITHM);
            json.put("public_key", Base64.getEncoder().encodeToString(publicKey.getEncoded()));
            json.put("signature", Base64.getEncoder().encodeToString(signature.sign()));
            return Json.write(json).getBytes(StandardCharsets.UTF_8);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot sign with this key: " + e.getMessage(), e);
        }
    }

    /**
     * The signer of {@code manifest} by {@code entry} (the bytes of {@link #ENTRY}), when the signature verifies.
     *
     * @throws ArtifactException when the entry is malformed or the signature does not verify: the artifact was
     *                           altered after it was signed
     */
    static Signer verify(byte[] manifest, byte[] entry) throws ArtifactException {
        Object root;
        try {
            root = Json.parse(new String(entry, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw new ArtifactException(ENTRY + " is not JSON (" + e.getMessage() + ")");
        }
        if (!(root instanceof Map<?, ?> map) || !ALGORITHM.equals(map.get("algorithm")) || !(map.get("public_key") instanceof String key)
                || !(map.get("signature") instanceof String sig)) {
            throw new ArtifactException(ENTRY + " must hold {\"algorithm\": \"Ed25519\", \"public_key\": base64, \"signature\": base64}");
        }
        try {
            PublicKey publicKey = KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(key)));
            Signature signature = Signature.getInstance(ALGORITHM);
            signature.initVerify(publicKey);
            signature.update(manifest);
            if (!signature.verify(Base64.getDecoder().decode(sig))) {
                throw new ArtifactException("its signature does not match manifest.json: the artifact was altered after "
                        + fingerprint(publicKey) + " signed it");
            }
            return Signer.of(publicKey);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new ArtifactException(ENTRY + " holds no valid Ed25519 key and signature (" + e.getMessage() + ")");
        }
    }

    /** {@code ed25519:} and the first 16 hex digits of the sha256 of the key's X.509 encoding. */
    public static String fingerprint(PublicKey key) {
        return "ed25519:" + Sha256.of(key.getEncoded()).substring(0, 16);
    }

    private static byte[] pem(String type, byte[] der) {
        return ("-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der) + "\n-----END " + type + "-----\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] unpem(Path file, String type) throws ArtifactException {
        String text;
        try {
            if (Files.size(file) > 16 << 10) throw new ArtifactException(file + " is too large to be a key file");
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new ArtifactException("cannot read key file " + file + " (" + e.getMessage() + ")", e);
        }
        String begin = "-----BEGIN " + type + "-----", end = "-----END " + type + "-----";
        int from = text.indexOf(begin), to = text.indexOf(end);
        if (from < 0 || to < from) throw new ArtifactException(file + " is not a PEM " + type.toLowerCase(java.util.Locale.ROOT) + " file (`nnc keygen` writes them)");
        try {
            return Base64.getMimeDecoder().decode(text.substring(from + begin.length(), to));
        } catch (IllegalArgumentException e) {
            throw new ArtifactException(file + " holds a damaged PEM block (" + e.getMessage() + ")", e);
        }
    }
}
