package dev.nnc.runtime;

import java.security.PublicKey;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Which artifacts {@link NncModel#load(java.nio.file.Path, Trust)} accepts. Either way every entry must match the
 * manifest's checksums and a signature that is present must verify; {@link #ANY} also loads unsigned artifacts, while
 * {@link #signedBy} loads only those signed by one of its keys.
 *
 * <p>What that means: checksums (all an unsigned artifact has) catch damage, not an attacker, who can recompute them;
 * the loader's class verifier still confines generated code to the kernels and the JDK's math, but a crafted artifact
 * could compute wrong answers, loop, or carry an OpenCL program that does so on the device. A signature from a key you
 * trust says the artifact is byte for byte what its holder compiled.
 */
public record Trust(List<PublicKey> keys) {

    /** Unsigned artifacts load; a signed one must verify, whoever signed it. */
    public static final Trust ANY = new Trust(List.of());

    public Trust {
        keys = List.copyOf(keys);
    }

    /** Only artifacts signed by one of {@code keys}. */
    public static Trust signedBy(PublicKey... keys) {
        if (keys.length == 0) throw new IllegalArgumentException("signedBy needs at least one key");
        return new Trust(Arrays.asList(keys));
    }

    /** Whether a signature is required. */
    public boolean requiresSignature() {
        return !keys.isEmpty();
    }

    /** Refuses {@code signer} (null: unsigned) unless this trust accepts it. */
    void check(ArtifactSignature.Signer signer) throws ArtifactException {
        if (!requiresSignature()) return;
        String wanted = keys.stream().map(ArtifactSignature::fingerprint).collect(Collectors.joining(", "));
        if (signer == null) {
            throw new ArtifactException("it is not signed, and a signature by " + wanted + " is required; sign it with `nnc compile --sign KEY`");
        }
        for (PublicKey key : keys) {
            if (Arrays.equals(key.getEncoded(), signer.key().getEncoded())) return;
        }
        throw new ArtifactException("it is signed by " + signer.fingerprint() + ", not by a trusted key (" + wanted + ")");
    }
}
