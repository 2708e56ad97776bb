package io.sidecarinitializer.webhook;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509KeyManager;

/**
 * The server's key manager, whose certificate can be swapped while it serves: each handshake asks it for the
 * certificate, so the next connection gets the new one. Swapping here instead of rebuilding the server's TLS
 * context means no connection ever lands in the middle of a reload. Each certificate gets its own alias, so a
 * handshake that picked one before a swap still gets that certificate's own chain and key.
 */
final class ReloadingKeyManager extends X509ExtendedKeyManager {
    private static final AtomicLong GENERATIONS = new AtomicLong();

    private record Generation(String alias, X509KeyManager manager) {}

    private volatile Generation current;
    private volatile Generation previous;

    /** Holds no certificate until the first {@link #use}, which must come before the server listens. */
    ReloadingKeyManager() {}

    void use(TlsCredentials credentials) {
        String alias = "webhook-" + GENERATIONS.incrementAndGet();
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry(alias, credentials.key(), new char[0], credentials.chain().toArray(X509Certificate[]::new));
            // SunX509 names entries by their keystore alias, which lets getPrivateKey find the right generation.
            KeyManagerFactory factory = KeyManagerFactory.getInstance("SunX509");
            factory.init(store, new char[0]);
            Generation next = new Generation(alias, (X509KeyManager) factory.getKeyManagers()[0]);
            previous = current;
            current = next;
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new IllegalArgumentException("cannot use the serving certificate: " + e.getMessage(), e);
        }
    }

    private X509KeyManager manager(String alias) {
        Generation now = current;
        if (now.alias().equals(alias)) {
            return now.manager();
        }
        Generation before = previous;
        return before != null && before.alias().equals(alias) ? before.manager() : now.manager();
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return current.manager().chooseServerAlias(keyType, issuers, null);
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return current.manager().chooseServerAlias(keyType, issuers, socket);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return current.manager().getServerAliases(keyType, issuers);
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        return manager(alias).getCertificateChain(alias);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        return manager(alias).getPrivateKey(alias);
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return null; // a server only
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return null;
    }
}
