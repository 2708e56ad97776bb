package io.sidecarinitializer.webhook;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTPS side of the webhook, on Vert.x: {@code POST /inject} with a body cap, TLS 1.2 and 1.3 only, HTTP/1.1
 * and HTTP/2. A review of up to {@link #INLINE_BODY_BYTES} (nearly every pod) is answered on the event loop that
 * read it: that takes well under a millisecond, less than handing it to another thread and back costs on a busy
 * node. A larger one goes to a worker thread, so it cannot hold up the loop's other connections. {@link #use} swaps
 * the certificate for new connections without a restart, through the key manager rather than Vert.x's SSL options
 * update, during which a connection arriving fails (Vert.x 4.5).
 */
public final class WebhookServer implements AutoCloseable {
    public static final String PATH = "/inject";
    static final Set<String> TLS_VERSIONS = Set.of("TLSv1.2", "TLSv1.3");
    static final int MAX_CONCURRENT_STREAMS = 1000;
    /** The largest body answered on the event loop; a pod this size takes a millisecond or two to parse and inject. */
    static final int INLINE_BODY_BYTES = 64 * 1024;
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final Logger log = LoggerFactory.getLogger(WebhookServer.class);

    private final Vertx vertx;
    private final HttpServer server;
    private final ReloadingKeyManager keys;
    private volatile TlsCredentials credentials;

    private WebhookServer(Vertx vertx, HttpServer server, ReloadingKeyManager keys) {
        this.vertx = vertx;
        this.server = server;
        this.keys = keys;
    }

    /** Listens on {@code port} (0: a free one) on every interface and returns once it does. */
    public static WebhookServer start(int port, TlsCredentials credentials, ReviewHandler handler) throws Exception {
        WebhookServer server = prepare(handler);
        try {
            server.withCertificate(credentials).listen(port);
            return server;
        } catch (Exception | Error e) {
            server.close();
            throw e;
        }
    }

    /**
     * Vert.x, the routes and the server, not listening yet: the part of the start that needs neither the certificate
     * nor the configuration, so it can run while they load. {@link #withCertificate}, then {@link #listen}, make it serve.
     */
    public static WebhookServer prepare(ReviewHandler handler) {
        int cores = Runtime.getRuntime().availableProcessors();
        Vertx vertx = Vertx.vertx(new VertxOptions()
                .setEventLoopPoolSize(Math.max(1, Math.min(cores, 4)))
                .setWorkerPoolSize(Math.max(2, cores))
                // Nothing is served from files; no cache directory on a read-only root filesystem.
                .setFileSystemOptions(new FileSystemOptions().setFileCachingEnabled(false).setClassPathResolvingEnabled(false)));
        try {
            ReloadingKeyManager keys = new ReloadingKeyManager();
            HttpServerOptions options = new HttpServerOptions()
                    .setSsl(true)
                    .setUseAlpn(true)
                    .setKeyCertOptions(KeyCertOptions.wrap(keys))
                    .setEnabledSecureTransportProtocols(TLS_VERSIONS)
                    // Vert.x allows 100 streams per HTTP/2 connection; a burst of pod creations needs more.
                    .setInitialSettings(new Http2Settings().setMaxConcurrentStreams(MAX_CONCURRENT_STREAMS))
                    .setCompressionSupported(false);
            Router router = Router.router(vertx);
            router.post(PATH)
                    .handler(BodyHandler.create(false).setBodyLimit(ReviewHandler.MAX_BODY_BYTES))
                    .handler(ctx -> review(ctx, handler))
                    .failureHandler(ctx -> failed(ctx, handler));
            router.route(PATH).handler(ctx -> ctx.response().setStatusCode(405).putHeader("Allow", "POST").end());
            return new WebhookServer(vertx, vertx.createHttpServer(options).requestHandler(router), keys);
        } catch (RuntimeException | Error e) {
            vertx.close();
            throw e;
        }
    }

    /** Takes the first serving certificate (a key store in the key manager: slow the first time), before {@link #listen}. */
    public WebhookServer withCertificate(TlsCredentials first) {
        keys.use(first);
        credentials = first;
        return this;
    }

    /** Serves on {@code port} (0: a free one) on every interface; returns once it listens. */
    public void listen(int port) throws Exception {
        if (credentials == null) {
            throw new IllegalStateException("no serving certificate yet");
        }
        await(server.listen(port));
        log.info("Serving {} over HTTPS (TLS 1.2+) on port {}; certificate {} valid until {}", PATH, server.actualPort(),
                credentials.leaf().getSubjectX500Principal().getName(), credentials.notAfter());
    }

    public int port() {
        return server.actualPort();
    }

    public TlsCredentials credentials() {
        return credentials;
    }

    /** New connections get these credentials from now on; open ones keep theirs. */
    public void use(TlsCredentials next) {
        withCertificate(next);
        log.info("Serving certificate reloaded: {} valid until {}", next.leaf().getSubjectX500Principal().getName(), next.notAfter());
    }

    private static void review(RoutingContext ctx, ReviewHandler handler) {
        byte[] body = ctx.body().buffer() == null ? new byte[0] : ctx.body().buffer().getBytes();
        if (body.length <= INLINE_BODY_BYTES) {
            send(ctx, handler.handle(body));
            return;
        }
        ctx.vertx().<ReviewHandler.Reply>executeBlocking(() -> handler.handle(body), false).onComplete(done -> {
            if (done.succeeded()) {
                send(ctx, done.result());
            } else {
                ctx.fail(done.cause());
            }
        });
    }

    private static void failed(RoutingContext ctx, ReviewHandler handler) {
        if (ctx.statusCode() == 413) {
            send(ctx, handler.tooLarge());
            return;
        }
        if (ctx.failure() != null) {
            log.error("Cannot answer an AdmissionReview", ctx.failure());
        }
        int status = ctx.statusCode() > 0 ? ctx.statusCode() : 500;
        if (!ctx.response().ended() && !ctx.response().closed()) {
            ctx.response().setStatusCode(status).end();
        }
    }

    private static void send(RoutingContext ctx, ReviewHandler.Reply reply) {
        if (ctx.response().ended() || ctx.response().closed()) {
            return;
        }
        ctx.response().setStatusCode(reply.status()).putHeader("Content-Type", reply.contentType()).end(Buffer.buffer(reply.body()));
    }

    private static <T> T await(Future<T> future) throws Exception {
        try {
            return future.toCompletionStage().toCompletableFuture().get(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        } catch (TimeoutException e) {
            throw new TimeoutException("Vert.x did not answer within " + START_TIMEOUT.toSeconds() + " s");
        }
    }

    @Override
    public void close() {
        try {
            await(server.close());
        } catch (Exception e) {
            log.debug("Closing the HTTPS server: {}", e.toString());
        }
        try {
            await(vertx.close());
        } catch (Exception e) {
            log.debug("Closing Vert.x: {}", e.toString());
        }
    }
}
