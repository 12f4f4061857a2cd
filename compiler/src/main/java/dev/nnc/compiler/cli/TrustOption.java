package dev.nnc.compiler.cli;

import dev.nnc.runtime.ArtifactException;
import dev.nnc.runtime.ArtifactSignature;
import dev.nnc.runtime.Trust;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** {@code --trust KEY.pub …}: load only artifacts signed by one of these keys (a picocli mixin for run and inspect). */
final class TrustOption {

    @Option(names = "--trust", paramLabel = "KEY.pub",
            description = "load the artifact only if it is signed by this public key (repeatable; `nnc keygen` writes KEY.pub); "
                    + "without it an unsigned artifact loads, and a signed one must still verify")
    List<Path> keys = new ArrayList<>();

    /** The trust the flags ask for; an unreadable key file is a {@link UserError}. */
    Trust trust(String command) {
        if (keys.isEmpty()) return Trust.ANY;
        List<PublicKey> loaded = new ArrayList<>();
        for (Path key : keys) {
            try {
                loaded.add(ArtifactSignature.readPublicKey(key));
            } catch (ArtifactException e) {
                throw new UserError("nnc " + command + ": --trust " + e.getMessage());
            }
        }
        return Trust.signedBy(loaded.toArray(PublicKey[]::new));
    }
}
