package dev.tokenledger.usage.chaos;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy in front of ClickHouse's HTTP interface that makes inserts slow, the way a loaded server or
 * a congested network does. While {@link #slowInserts} is on, each insert request is held up past the
 * client's timeout either on its way back (ClickHouse has written the rows, the answer arrives too late:
 * the classic "timed out but succeeded") or on its way in (the rows land after the client gave up and
 * possibly after its retry). Everything else passes untouched. It reads only each request's first line.
 */
final class TcpProxy implements AutoCloseable {
    private final ServerSocket listener;
    private final InetSocketAddress upstream;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile Slowness slowness;
    private volatile boolean closed;

    /** Insert requests seen. */
    final AtomicInteger inserts = new AtomicInteger();
    /** Inserts held up (answer or request). */
    final AtomicInteger slowed = new AtomicInteger();
    /** Inserts whose request was forwarded late. */
    final AtomicInteger lateRequests = new AtomicInteger();
    /** Inserts ClickHouse accepted (HTTP 200) whose answer the client had stopped waiting for. */
    final AtomicInteger succeededUnheard = new AtomicInteger();

    private record Chunk(byte[] bytes, long releaseNanos) {
        static final Chunk END = new Chunk(new byte[0], 0);
    }

    private record Slowness(Duration min, Duration max, double lateRequestShare, Random random) {
        synchronized long delayMillis() {
            return min.toMillis() + (long) (random.nextDouble() * (max.toMillis() - min.toMillis()));
        }

        synchronized boolean lateRequest() {
            return random.nextDouble() < lateRequestShare;
        }
    }

    private TcpProxy(String upstreamUrl) throws IOException {
        java.net.URI uri = java.net.URI.create(upstreamUrl);
        this.upstream = new InetSocketAddress(uri.getHost(), uri.getPort());
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofPlatform().daemon(true).name("tcp-proxy-accept").start(this::acceptLoop);
    }

    /** A proxy on a free loopback port forwarding to the HTTP endpoint {@code upstreamUrl}. */
    static TcpProxy to(String upstreamUrl) {
        try {
            return new TcpProxy(upstreamUrl);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String url() {
        return "http://127.0.0.1:" + listener.getLocalPort();
    }

    /**
     * From now on every insert is delayed by {@code min..max}; a share {@code lateRequestShare} of them on
     * the way in, the rest on the way back.
     */
    void slowInserts(Duration min, Duration max, double lateRequestShare, Random random) {
        this.slowness = new Slowness(min, max, lateRequestShare, random);
    }

    void normal() {
        this.slowness = null;
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                return; // closed
            }
            Thread.ofVirtual().start(() -> connect(client));
        }
    }

    private void connect(Socket client) {
        Socket server = new Socket();
        try {
            server.connect(upstream, 5_000);
            client.setTcpNoDelay(true);
            server.setTcpNoDelay(true);
        } catch (IOException e) {
            closeQuietly(client);
            closeQuietly(server);
            return;
        }
        open.add(client);
        open.add(server);
        Connection c = new Connection(client, server);
        Thread.ofVirtual().start(c::clientToServer);
        Thread.ofVirtual().start(c::serverToClient);
    }

    private final class Connection {
        final Socket client;
        final Socket server;
        volatile long holdNextAnswerMillis;
        volatile boolean clientGone;

        Connection(Socket client, Socket server) {
            this.client = client;
            this.server = server;
        }

        /**
         * Reads the client's bytes as they come (so a request is never lost when the client gives up and
         * resets the connection) and hands them to {@link #forward} with the moment each may go on.
         */
        void clientToServer() {
            java.util.concurrent.BlockingQueue<Chunk> queue = new java.util.concurrent.LinkedBlockingQueue<>();
            Thread.ofVirtual().start(() -> forward(queue));
            byte[] buf = new byte[64 * 1024];
            long release = 0;
            try {
                InputStream in = client.getInputStream(); // not closed here: that would close the socket
                int n;
                while ((n = in.read(buf)) >= 0) {
                    long now = System.nanoTime();
                    release = Math.max(release, now);
                    if (isInsertRequest(buf, n)) {
                        inserts.incrementAndGet();
                        Slowness s = slowness;
                        if (s != null) {
                            slowed.incrementAndGet();
                            long delay = s.delayMillis();
                            if (s.lateRequest()) {
                                lateRequests.incrementAndGet();
                                release = now + delay * 1_000_000L;
                            } else {
                                holdNextAnswerMillis = delay;
                            }
                        }
                    }
                    queue.add(new Chunk(java.util.Arrays.copyOf(buf, n), release));
                }
            } catch (IOException e) {
                // the client went away (or reset the connection)
            } finally {
                clientGone = true;
                queue.add(Chunk.END);
            }
        }

        private void forward(java.util.concurrent.BlockingQueue<Chunk> queue) {
            try {
                OutputStream out = server.getOutputStream(); // not closed here: that would close the socket
                while (true) {
                    Chunk c = queue.take();
                    if (c == Chunk.END) {
                        break;
                    }
                    long wait = c.releaseNanos - System.nanoTime();
                    if (wait > 0) {
                        java.util.concurrent.TimeUnit.NANOSECONDS.sleep(wait);
                    }
                    out.write(c.bytes);
                    out.flush();
                }
            } catch (IOException | InterruptedException e) {
                // ClickHouse went away
            } finally {
                shutdownOutput(server);
            }
        }

        void serverToClient() {
            byte[] buf = new byte[64 * 1024];
            try (InputStream in = server.getInputStream(); OutputStream out = client.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    long hold = holdNextAnswerMillis;
                    if (hold > 0) {
                        holdNextAnswerMillis = 0;
                        Thread.sleep(hold);
                    }
                    if (clientGone) {
                        if (startsWith(buf, n, "HTTP/1.1 200")) {
                            succeededUnheard.incrementAndGet();
                        }
                        break;
                    }
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (IOException | InterruptedException e) {
                // a side went away
            } finally {
                closeQuietly(client);
                closeQuietly(server);
                open.remove(client);
                open.remove(server);
            }
        }
    }

    /** The first line of an HTTP request whose query is an INSERT (client-v2 puts it in the URL). */
    static boolean isInsertRequest(byte[] buf, int n) {
        if (!startsWith(buf, n, "POST ")) {
            return false;
        }
        int end = 0;
        while (end < n && buf[end] != '\r' && buf[end] != '\n') {
            end++;
        }
        String line = new String(buf, 0, end, StandardCharsets.ISO_8859_1);
        String decoded;
        try {
            decoded = URLDecoder.decode(line, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            decoded = line;
        }
        return decoded.toUpperCase(Locale.ROOT).contains("INSERT INTO");
    }

    private static boolean startsWith(byte[] buf, int n, String prefix) {
        if (n < prefix.length()) {
            return false;
        }
        for (int i = 0; i < prefix.length(); i++) {
            if (buf[i] != prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static void shutdownOutput(Socket s) {
        try {
            s.shutdownOutput();
        } catch (IOException ignored) {
            // already closed
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            listener.close();
        } catch (IOException ignored) {
            // already closed
        }
        open.forEach(TcpProxy::closeQuietly);
    }
}
