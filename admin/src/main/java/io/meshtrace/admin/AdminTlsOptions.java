package io.meshtrace.admin;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The admin TLS flags, the same in every jar that serves an admin API (a picocli mixin):
 *
 * <pre>
 * --admin-tls-cert FILE --admin-tls-key FILE         PEM chain and key
 * --admin-tls-key-store FILE
 *     --admin-tls-key-store-password-file FILE       or a PKCS#12 key store
 * --admin-tls-client-ca FILE                         require client certificates from this CA
 * </pre>
 * None set: the admin API is plain HTTP.
 */
public final class AdminTlsOptions {

  @Option(names = "--admin-tls-cert", paramLabel = "FILE",
      description = "Serve the admin API over HTTPS with this PEM certificate chain "
          + "(with --admin-tls-key).")
  Path cert;

  @Option(names = "--admin-tls-key", paramLabel = "FILE",
      description = "PEM private key (PKCS#8, or PKCS#1 RSA) of --admin-tls-cert.")
  Path key;

  @Option(names = "--admin-tls-key-store", paramLabel = "FILE",
      description = "Or: a PKCS#12 key store with the admin API's key and chain.")
  Path keyStore;

  @Option(names = "--admin-tls-key-store-password-file", paramLabel = "FILE",
      description = "File whose first line is the --admin-tls-key-store password.")
  Path keyStorePasswordFile;

  @Option(names = "--admin-tls-client-ca", paramLabel = "FILE",
      description = "PEM CA certificates; clients of the admin API must present a "
          + "certificate they signed (mTLS).")
  Path clientCa;

  /**
   * The TLS settings, or null for plain HTTP.
   *
   * @throws CommandLine.ParameterException for flags that do not go together (exit 2)
   * @throws GeneralSecurityException for key material that cannot be used, naming the file
   */
  public AdminTls load(CommandLine commandLine) throws IOException, GeneralSecurityException {
    boolean pem = cert != null || key != null;
    boolean store = keyStore != null || keyStorePasswordFile != null;
    if (!pem && !store) {
      if (clientCa != null) {
        throw usage(commandLine, "--admin-tls-client-ca needs --admin-tls-cert and "
            + "--admin-tls-key, or --admin-tls-key-store");
      }
      return null;
    }
    if (pem && store) {
      throw usage(commandLine, "--admin-tls-cert/--admin-tls-key and --admin-tls-key-store are"
          + " alternatives: give one");
    }
    if (pem) {
      if (cert == null || key == null) {
        throw usage(commandLine, (cert == null ? "--admin-tls-cert" : "--admin-tls-key")
            + " is required with " + (cert == null ? "--admin-tls-key" : "--admin-tls-cert"));
      }
      return AdminTls.fromPem(cert, key, clientCa);
    }
    if (keyStore == null || keyStorePasswordFile == null) {
      throw usage(commandLine, "--admin-tls-key-store and --admin-tls-key-store-password-file go"
          + " together");
    }
    return AdminTls.fromKeyStore(keyStore, AdminTls.passwordFile(keyStorePasswordFile), clientCa);
  }

  private static CommandLine.ParameterException usage(CommandLine commandLine, String message) {
    return new CommandLine.ParameterException(commandLine, message);
  }
}
