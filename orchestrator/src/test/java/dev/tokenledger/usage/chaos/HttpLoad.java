package dev.tokenledger.usage.chaos;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A steady stream of {@code POST /v1/usage} calls spread over several API processes, as clients make them. A call
 * answered 202 acknowledges its events; a call that fails (the process was killed under it, or it answered 503) is
 * kept with its body and sent again later, with the same event ids, as a client retries.
 */
final class HttpLoad implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final String[] MODELS = {"gpt-4o", "gpt-4o-mini", "claude-sonnet-4-5", "unknown-model-1"};

    /** One call's events, as sent. */
    record Call(List<UUID> ids, String body) {
    }

    private final List<URI> targets;
    private final String key;
    private final int eventsPerCall;
    private final Duration pause;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicLong next = new AtomicLong();
    private final List<Thread> threads = new ArrayList<>();
    final Set<UUID> acknowledged = ConcurrentHashMap.newKeySet();
    final List<Call> failed = Collections.synchronizedList(new ArrayList<>());
    final AtomicLong calls = new AtomicLong();
    volatile Throwable unexpected;

    private HttpLoad(List<URI> targets, String key, int threadCount, int eventsPerCall, Duration pause) {
        this.targets = List.copyOf(targets);
        this.key = key;
        this.eventsPerCall = eventsPerCall;
        this.pause = pause;
        for (int i = 0; i < threadCount; i++) {
            threads.add(Thread.ofPlatform().daemon(true).name("chaos-http-load-" + i).start(this::run));
        }
    }

    /** {@code threads} clients, each posting {@code eventsPerCall} events to the next API process, then pausing. */
    static HttpLoad start(List<URI> targets, String key, int threads, int eventsPerCall, Duration pause) {
        return new HttpLoad(targets, key, threads, eventsPerCall, pause);
    }

    String describe() {
        return threads.size() + " HTTP client(s) × " + eventsPerCall + " events every " + pause.toMillis() + " ms over "
                + targets.size() + " API processes (≤ " + Math.round(threads.size() * eventsPerCall * 1000.0
                / Math.max(1, pause.toMillis())) + " events/s)";
    }

    private void run() {
        while (running.get()) {
            Call call = newCall();
            try {
                if (!send(call, targets.get((int) (next.getAndIncrement() % targets.size())))) {
                    failed.add(call);
                }
            } catch (RuntimeException | Error e) {
                unexpected = e;
                return;
            }
            calls.incrementAndGet();
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** True when every event of the call is acknowledged (202: accepted or a duplicate of an earlier success). */
    private boolean send(Call call, URI target) {
        HttpResponse<String> r;
        try {
            r = HTTP.send(HttpRequest.newBuilder(target.resolve("/v1/usage")).timeout(Duration.ofSeconds(30))
                    .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(call.body())).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return false; // the process died under the call, or is not back yet
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        if (r.statusCode() == 202) {
            acknowledged.addAll(call.ids());
            return true;
        }
        if (r.statusCode() == 503) {
            return false;
        }
        throw new AssertionError("POST /v1/usage answered " + r.statusCode() + ": " + r.body());
    }

    /** Stops the clients and waits for their last call. */
    void stop() {
        running.set(false);
        for (Thread t : threads) {
            try {
                t.join(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (unexpected != null) {
            throw new AssertionError("a client failed", unexpected);
        }
    }

    /** Stops the clients without waiting (after a failure). */
    @Override
    public void close() {
        running.set(false);
    }

    /** Sends every failed call again (same ids) until an API process acknowledges it; returns how many there were. */
    int retryFailed(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<Call> retry = List.copyOf(failed);
        for (Call call : retry) {
            for (int attempt = 0; !send(call, targets.get(attempt % targets.size())); attempt++) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("a failed call is still not acknowledged after " + timeout);
                }
                Chaos.sleep(Duration.ofMillis(200));
            }
        }
        failed.clear();
        return retry.size();
    }

    private Call newCall() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        List<UUID> ids = new ArrayList<>(eventsPerCall);
        StringBuilder body = new StringBuilder(eventsPerCall * 300).append('[');
        for (int i = 0; i < eventsPerCall; i++) {
            UUID id = UUID.randomUUID();
            ids.add(id);
            long prompt = 1 + r.nextLong(120_000);
            body.append(i == 0 ? "" : ",").append("{\"event_id\":\"").append(id)
                    .append("\",\"event_time\":\"").append(Instant.now().truncatedTo(ChronoUnit.MILLIS)
                            .minusMillis(r.nextLong(120_000)))
                    .append("\",\"user_id\":\"user-").append(r.nextInt(50))
                    .append("\",\"workspace_id\":\"ws-").append(r.nextInt(5))
                    .append("\",\"agent_id\":\"planner\",\"model\":\"").append(MODELS[r.nextInt(MODELS.length)])
                    .append("\",\"provider\":\"openai\",\"prompt_tokens\":").append(prompt)
                    .append(",\"cached_tokens\":").append(r.nextLong(prompt + 1) / 2)
                    .append(",\"completion_tokens\":").append(1 + r.nextLong(8_000)).append('}');
        }
        return new Call(ids, body.append(']').toString());
    }
}
