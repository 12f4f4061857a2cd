package dev.nnc.compiler.cli;

import dev.nnc.runtime.ArtifactSignature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code nnc keygen -o KEY}: a new Ed25519 key pair for signing artifacts, KEY (private) and KEY.pub. */
@Command(name = "keygen", mixinStandardHelpOptions = true,
        description = "Make an Ed25519 key pair for signing artifacts: KEY (private, owner-only; `nnc compile --sign KEY`) and KEY.pub "
                + "(give it to whoever loads your artifacts: `nnc run --trust KEY.pub`, `Trust.signedBy`).")
final class KeygenCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-o", "--output"}, paramLabel = "KEY", required = true, description = "the private key file; the public key goes to KEY.pub")
    Path key;

    @Option(names = "--force", description = "replace existing key files")
    boolean force;

    @Override
    public Integer call() {
        Path publicKey = publicKeyOf(key);
        if (!force && (Files.exists(key) || Files.exists(publicKey))) {
            throw new UserError("nnc keygen: " + (Files.exists(key) ? key : publicKey) + " exists; a new key would orphan what it signed (--force replaces it)");
        }
        try {
            Path parent = key.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            KeyPair pair = ArtifactSignature.generate();
            ArtifactSignature.write(pair, key, publicKey);
            spec.commandLine().getOut().println("wrote " + key + " (private: keep it) and " + publicKey + " (public), key "
                    + ArtifactSignature.fingerprint(pair.getPublic()));
            return Main.OK;
        } catch (IOException e) {
            throw new UserError("nnc keygen: cannot write " + key + ": " + CompileCommand.describe(e));
        }
    }

    /** Where the public half of private key {@code key} lives: {@code KEY.pub}. */
    static Path publicKeyOf(Path key) {
        return key.resolveSibling(key.getFileName() + ".pub");
    }
}
