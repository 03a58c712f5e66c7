package io.fieldlink.transport;

import io.fieldlink.api.ConnectionLostException;
import io.fieldlink.api.DeviceException;
import io.fieldlink.api.DeviceTimeoutException;
import io.fieldlink.config.Correlation;
import io.fieldlink.config.DeviceAddress;
import io.fieldlink.config.Framing;
import io.fieldlink.config.LinkSettings;
import io.fieldlink.metrics.DeviceMeter;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.handler.codec.CodecException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.IntSupplier;

/**
 * One open TCP connection to one device: a Netty channel with the pool's framing, plus the blocking
 * request / send / receive that application threads call.
 *
 * <p><b>Whose answer is a frame.</b> Which frame answers a request is decided on the channel's event
 * loop, where reads and the request's write are ordered: without correlation, the answer is the first
 * frame decoded after the request was written; a frame decoded before it (a stray or unsolicited
 * frame, even one that came in the same TCP segment as the previous answer) is never its answer.
 * With {@link Correlation} the link stamps its own id on each request and the answer is the frame
 * carrying that id; frames matching no open request are counted and kept for {@link #receive}.
 * Frames that answer no request go to {@link #receive}, which sees only frames that arrived since
 * the current borrower got the connection and since its last request.
 *
 * <p><b>Reuse.</b> A link on which an answer may still arrive (a {@link #send} not followed by a
 * {@link #receive} that got a frame, a timed-out exchange) or whose decoder holds part of a frame is
 * not {@link #reusable()}: the pool closes it instead of handing it to another borrower.
 *
 * <p><b>Given up.</b> A request shared with other callers' on one link (pipelining, correlation)
 * whose caller gives up (timeout, interrupt) retires its id: the late answer is dropped by it, the
 * id is not reused until then ({@link #retiredOutstanding()}, which the pool counts against the
 * link's slots), and the other requests go on. The link fails instead when it is silent: the caller
 * waited the pool's full {@code requestTimeoutMs} with nothing answered since its request went
 * out, or nothing was answered on it for {@code requestTimeoutMs} while requests were out. The pool
 * {@link #drain() drains} and replaces a link with too many given-up requests (and the link drains
 * itself at {@link #MAX_RETIRED}). A request on a link held by one borrower fails the link on a
 * timeout or interrupt, as without correlation.
 *
 * <p>Threads: the channel's event loop decodes frames and detects failures; one application thread
 * at a time (the borrower) calls {@link #request}, {@link #send} or {@link #receive}, or, with
 * correlation, several threads call {@link #request} at once (pipelining: the pool counts them). A link fails
 * once: the first {@link LinkFailure} wins, the channel closes, waiting callers get a
 * {@link ConnectionLostException} and every failure listener runs exactly once on the event loop.
 *
 * <pre>{@code
 * transport.connect(device, settings).thenAccept(link -> {
 *     link.onFailure(f -> health.linkFailed(link, f));   // runs once, on the event loop
 * });
 * link.lease();                                            // a new borrower: receive() starts afresh
 * byte[] reply = link.request(frame, 2_000);               // application thread
 * boolean keep = link.reusable();                          // false: an answer may still arrive
 * link.close(LinkFailure.local("pool shrink"));
 * }</pre>
 */
public final class DeviceLink {

    private static final Logger log = LoggerFactory.getLogger(DeviceLink.class);
    private static final AtomicLong IDS = new AtomicLong();
    /** Unread frames kept per connection; older ones are dropped (see {@link FrameInbox}). */
    static final int INBOX_CAPACITY = 64;
    private static final byte[] NO_BYTES = new byte[0];
    private static final long WARN_INTERVAL_MS = 10_000;
    /** Given-up requests whose answers a connection waits for (to drop them by id) before it is closed. */
    static final int MAX_RETIRED = 256;
    /** {@link #MAX_RETIRED}, or half the usable ids for small id spaces (1-byte ids). */
    private final int maxRetired;
    /**
     * Requests given up on whose answers have not come: counted by the giving-up caller at once (so
     * the pool never hands out their slots meanwhile), uncounted on the event loop when the late
     * answer comes or when the request turns out never to have been written or already answered.
     */
    private final java.util.concurrent.atomic.AtomicInteger givenUp = new java.util.concurrent.atomic.AtomicInteger();
    private volatile boolean draining;
    private volatile Runnable retiredAnswered = () -> { };
    /** When an answer was last delivered to a waiting caller, and when requests last started to be out. */
    private volatile long lastAnswerNanos = System.nanoTime();
    private volatile long busySinceNanos = System.nanoTime();

    private final long id = IDS.incrementAndGet();
    private final DeviceAddress device;
    private final Channel channel;
    private final LinkSettings settings;
    private final Correlation correlation;
    private final byte[] delimiter;
    private final DeviceMeter meter;
    private final FrameInbox inbox;
    private final AtomicReference<LinkFailure> failure = new AtomicReference<>();
    private final List<Consumer<LinkFailure>> failureListeners = new CopyOnWriteArrayList<>();
    private final LogLimiter strayWarnings = new LogLimiter(WARN_INTERVAL_MS);
    private final long openedNanos = System.nanoTime();

    private volatile long lease;
    private volatile boolean leased;
    private volatile boolean answerMayArrive;
    /** Frames sent with send() whose answers no receive() has returned yet. */
    private final java.util.concurrent.atomic.AtomicInteger owed = new java.util.concurrent.atomic.AtomicInteger();
    /** The unanswered-frame number when the oldest owed send() went out: only later frames can answer it. */
    private volatile long owedAfter;
    /**
     * A send() without correlation happened in this lease: which later frame answers it cannot be
     * known for sure (an unsolicited frame may be taken for it), so the link is never reused.
     */
    private volatile boolean uncorrelatedSend;
    private volatile boolean partialFrame;
    private volatile long framesUnanswered;
    private volatile long answers;

    // event loop only
    private IntSupplier undecoded = () -> 0;
    private Exchange awaiting;
    private final Map<Long, Exchange> inFlight = new HashMap<>();
    /** Ids of requests given up on (timeout, interrupt) whose answers may still come: dropped by id. */
    private Set<Long> retired;
    private long nextId;

    DeviceLink(DeviceAddress device, Channel channel, LinkSettings settings, DeviceMeter meter) {
        this.device = device;
        this.channel = channel;
        this.settings = settings;
        this.meter = meter;
        this.inbox = new FrameInbox(INBOX_CAPACITY, meter);
        this.correlation = settings.correlation();
        this.delimiter = settings.framing().appendsDelimiter() ? settings.framing().delimiter() : NO_BYTES;
        this.maxRetired = correlation.enabled() ? (int) Math.min(MAX_RETIRED, (correlation.idSpace() - 2) / 2) : 0;
    }

    public DeviceAddress device() {
        return device;
    }

    /** True until the link failed or was closed. */
    public boolean isUsable() {
        return failure.get() == null && channel.isActive();
    }

    /** Usable, and nothing from an earlier exchange can still arrive: safe to hand to another borrower. */
    public boolean reusable() {
        // with correlation the rest of a frame in the decoder cannot be taken for anyone's answer: it
        // will carry an id (answers to several requests often share a segment)
        return isUsable() && !answerMayArrive && owed.get() == 0 && !uncorrelatedSend && !draining
                && (!partialFrame || correlation.enabled());
    }

    /** Why the link is not {@link #reusable()}, for logs. */
    public String notReusableBecause() {
        LinkFailure f = failure.get();
        return f != null ? f.reason() : draining ? givenUp.get() + " given-up requests still unanswered"
                : answerMayArrive || owed.get() > 0 ? "an answer to an earlier frame may still arrive"
                : uncorrelatedSend ? "a send() without correlation: which frame answered it is not certain"
                : partialFrame && !correlation.enabled() ? "part of a frame is still in the decoder"
                : !channel.isActive() ? "closed" : "reusable";
    }

    /** Why the link stopped, or {@code null} while it works. */
    public LinkFailure failure() {
        return failure.get();
    }

    /** When the connection opened, on the {@link System#nanoTime()} clock. */
    public long openedNanos() {
        return openedNanos;
    }

    /** Answers received (requests answered and heartbeats): evidence that the device's application works. */
    public long answers() {
        return answers;
    }

    /** Frames that answered no request (stray, unsolicited, unmatched id). */
    public long framesUnanswered() {
        return framesUnanswered;
    }

    /**
     * A new borrower gets this link: {@link #receive} will only return frames that arrive from now
     * on, and heartbeats pause until {@link #unlease()}.
     */
    public void lease() {
        lease++;
        leased = true;
    }

    /** A reserved id for heartbeats when the pool correlates (never given to a request). */
    long heartbeatId() {
        return correlation.idSpace() - 1;
    }

    /** The borrower gave the link back. */
    public void unlease() {
        leased = false;
    }

    public boolean leased() {
        return leased;
    }

    /**
     * Runs {@code listener} once when the link fails or is closed, on the link's event loop (or at
     * once on the caller's thread if it already has).
     */
    public void onFailure(Consumer<LinkFailure> listener) {
        failureListeners.add(listener);
        LinkFailure f = failure.get();
        if (f != null && failureListeners.remove(listener)) {
            listener.accept(f);
        }
    }

    /** Stops {@code listener} from running (a borrower that gave the link back). */
    public void removeFailureListener(Consumer<LinkFailure> listener) {
        failureListeners.remove(listener);
    }

    /**
     * Sends one frame and returns its answer (see the class comment for which frame that is). A
     * timeout closes the link: its answer may still come, and must not reach anyone else.
     */
    public byte[] request(byte[] frame, long timeoutMs) throws DeviceException {
        return request(frame, timeoutMs, false);
    }

    /**
     * {@link #request(byte[], long)} on a link whose requests are in flight together with other
     * callers' ({@code shared}, correlation required): a caller that gives up (timeout, interrupt)
     * retires its id instead of failing the link, unless the link has been silent for the pool's
     * {@code requestTimeoutMs} while requests were out (see the class comment).
     */
    public byte[] request(byte[] frame, long timeoutMs, boolean shared) throws DeviceException {
        if (shared && !correlation.enabled()) {
            throw new IllegalStateException("requests share a connection only with correlation");
        }
        checkFrame(frame);
        if (correlation.enabled() && !correlation.fits(frame)) {
            throw new DeviceException(device.id(), device.address(), "frame has " + frame.length
                    + " bytes; the pool's correlation id needs " + (correlation.offset() + correlation.length()));
        }
        if (!correlation.enabled() && owed.get() > 0) {
            // the next frame may answer an earlier send(): it would be taken for this request's answer
            throw new DeviceException(device.id(), device.address(), owed.get() + " answer(s) to earlier send() calls may "
                    + "still arrive on this connection; receive() them first, or use a new connection for request()");
        }
        long start = System.nanoTime();
        awaitWritable(timeoutMs, shared);
        Exchange ex = new Exchange(frame, false);
        if (!correlation.enabled()) {
            answerMayArrive = true; // with correlation an answer given up on is dropped by its id instead
        }
        try {
            channel.eventLoop().execute(() -> start(ex));
        } catch (RejectedExecutionException stopping) {
            fail(LinkFailure.local("the adapter is stopping"));
            throw lost(failure.get());
        }
        long left = TimeUnit.MILLISECONDS.toNanos(timeoutMs) - (System.nanoTime() - start);
        try {
            byte[] answer = ex.answer.get(Math.max(0, left), TimeUnit.NANOSECONDS);
            answerMayArrive = false;
            return answer;
        } catch (TimeoutException e) {
            String reason = "no answer within " + timeoutMs + " ms";
            if (!shared || silent(ex, timeoutMs) || !retire(ex)) {
                fail(new LinkFailure(LinkFailure.Kind.RESPONSE_TIMEOUT, reason
                        + (shared ? "; nothing answered on the connection for " + settings.requestTimeoutMs() + " ms" : ""),
                        null));
            }
            throw new DeviceTimeoutException(device.id(), device.address(), reason);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof FrameInbox.LinkFailedException lf) {
                if (!ex.written) {
                    throw new NotDeliveredException(device.id(), device.address(), "connection lost before the "
                            + "request was sent: " + lf.failure.reason(), lf.failure.cause());
                }
                throw lost(lf.failure);
            }
            throw new DeviceException(device.id(), device.address(), String.valueOf(e.getCause().getMessage()),
                    e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            if (!shared || !retire(ex)) {
                // the exchange is half done: the pool must drop this connection, the device is not at fault
                fail(new LinkFailure(LinkFailure.Kind.ABANDONED, "interrupted while waiting for the device", e));
            }
            throw new DeviceException(device.id(), device.address(), "interrupted while waiting for the device", e);
        }
    }

    /**
     * Nothing answered on this link for the pool's request timeout while requests were out: the
     * device or the path to it may be gone, and the pool's failure handling must hear of it. One
     * caller's short timeout behind another's slow request does not make a link silent.
     */
    private boolean silent(Exchange ex, long timeoutMs) {
        long last = lastAnswerNanos;
        if (timeoutMs >= settings.requestTimeoutMs() && ex.written && last - ex.writtenNanos < 0) {
            return true; // waited the pool's full request timeout, and nothing came back since it went out
        }
        long quietSince = Math.max(last, busySinceNanos);
        return System.nanoTime() - quietSince >= TimeUnit.MILLISECONDS.toNanos(settings.requestTimeoutMs());
    }

    /** Given-up requests whose answers have not come yet: the device still works on them. */
    public int retiredOutstanding() {
        return givenUp.get();
    }

    /** Takes no new requests from now on; closed by the pool when the ones on it are done. */
    public void drain() {
        draining = true;
    }

    /** No new requests: too many given up on it (the link is closed once the requests on it are done). */
    public boolean draining() {
        return draining;
    }

    /** Runs {@code listener} on the event loop whenever a given-up request's late answer frees its place. */
    public void onRetiredAnswered(Runnable listener) {
        this.retiredAnswered = listener;
    }

    /** Whether the decoder holds the start of a frame now: a whole-link borrower's receive() could get it. */
    public boolean holdsPartialFrame() {
        return partialFrame;
    }

    /** Retires {@code ex}'s id on the event loop; false if the event loop is gone (then the link must fail). */
    private boolean retire(Exchange ex) {
        ex.abandoned = true; // not written yet: it never will be
        givenUp.incrementAndGet();
        try {
            // after start() on the event loop (tasks run in order), whether or not it wrote it
            channel.eventLoop().execute(() -> retired(ex));
            return true;
        } catch (RejectedExecutionException stopping) {
            givenUp.decrementAndGet();
            return false;
        }
    }

    /** Event loop: {@code ex} is given up; if its answer is still owed, the id waits for it and is not reused. */
    private void retired(Exchange ex) {
        if (ex.wire < 0 || inFlight.get(ex.wire) != ex) {
            givenUp.decrementAndGet(); // never written, or answered just now: nothing outstanding
            retiredAnswered.run();
            return;
        }
        inFlight.remove(ex.wire);
        if (retired == null) {
            retired = new java.util.HashSet<>();
        }
        retired.add(ex.wire);
        if (retired.size() >= maxRetired && !draining) {
            // a device that stopped answering some requests for good: its ids would run out. The
            // requests in flight on it are not at fault: no new ones, closed when they are done
            draining = true;
            log.debug("{}: {} requests went unanswered; no new requests on it", this, retired.size());
        }
    }

    /** Event loop: writes the request once every frame decoded so far is behind it. */
    private void start(Exchange ex) {
        if (ex.abandoned) {
            return; // the caller gave up before it went out (its failure was already reported)
        }
        LinkFailure f = failure.get();
        if (f != null || !channel.isActive()) {
            // nothing of this request reaches the device: it may go out again on another connection
            ex.answer.completeExceptionally(new FrameInbox.LinkFailedException(f != null ? f
                    : new LinkFailure(LinkFailure.Kind.PEER_CLOSED, "connection already closed", null)));
            return;
        }
        if (correlation.enabled() && inFlight.size() + (retired == null ? 0 : retired.size()) >= correlation.idSpace() - 1) {
            ex.writtenNanos = System.nanoTime();
            ex.written = true; // refused, not lost: never sent again elsewhere
            ex.answer.completeExceptionally(new IllegalStateException("all " + (correlation.idSpace() - 1)
                    + " transaction ids of " + this + " are waiting for answers"));
            return;
        }
        // unread frames from before the request: receive() after a request sees only what came after it
        // (with correlation nothing unread can be mistaken for an answer, and it may answer a send())
        int stale = ex.forReceive || correlation.enabled() ? 0 : inbox.clear();
        if (stale > 0 && log.isDebugEnabled()) {
            log.debug("{}: discarded {} unread frame(s) before a request", this, stale);
        }
        byte[] out = Arrays.copyOf(ex.request, ex.request.length + delimiter.length);
        System.arraycopy(delimiter, 0, out, ex.request.length, delimiter.length);
        if (correlation.enabled() && (ex.forReceive || correlation.fits(ex.request))) {
            long wire = nextFreeId();
            correlation.write(out, wire);
            if (inFlight.isEmpty()) {
                // quiet from here on counts as silence. Given-up requests do not count: an answer
                // the device never sends (a dead unit behind a gateway) must not make a later
                // caller's short timeout look like a dead connection; the pool replaces a link
                // with many of them instead
                busySinceNanos = System.nanoTime();
            }
            inFlight.put(wire, ex);
            ex.wire = wire;
        } else {
            if (partialFrame) {
                // the start of a frame that began before this request: gluing our answer to it would
                // hand the caller someone else's bytes
                fail(new LinkFailure(LinkFailure.Kind.PROTOCOL,
                        "part of an unrequested frame was in the decoder when a request started", null));
                ex.answer.completeExceptionally(new FrameInbox.LinkFailedException(failure.get()));
                return;
            }
            if (awaiting != null) {
                ex.answer.completeExceptionally(new IllegalStateException("two requests at once on " + this));
                return;
            }
            awaiting = ex;
        }
        ex.writtenNanos = System.nanoTime();
        ex.written = true; // from here on bytes may reach the device: never sent again
        write(out, "write failed");
    }

    private long nextFreeId() {
        long space = correlation.idSpace();
        long candidate;
        do {
            candidate = nextId;
            nextId = (nextId + 1) % space;
        } while (inFlight.containsKey(candidate) || candidate == space - 1 // space - 1: the heartbeat's
                || retired != null && retired.contains(candidate));
        return candidate;
    }

    /** Sends one frame; waits at most the request timeout for the device to accept data. */
    public void send(byte[] frame) throws DeviceException {
        checkFrame(frame);
        awaitWritable(settings.requestTimeoutMs(), false);
        if (correlation.enabled() && correlation.fits(frame)) {
            owed.incrementAndGet(); // paid on the event loop when the frame with its id comes back
            // stamped and registered like a request, so its answer can never be taken for a
            // request's; the answer goes to receive() with the caller's own id
            Exchange ex = new Exchange(frame, true);
            try {
                channel.eventLoop().execute(() -> start(ex));
            } catch (RejectedExecutionException stopping) {
                fail(LinkFailure.local("the adapter is stopping"));
                throw lost(failure.get());
            }
            return;
        }
        uncorrelatedSend = true;
        if (owed.getAndIncrement() == 0) {
            owedAfter = framesUnanswered;
        }
        byte[] out = Arrays.copyOf(frame, frame.length + delimiter.length);
        System.arraycopy(delimiter, 0, out, frame.length, delimiter.length);
        write(out, "write failed");
    }

    private void write(byte[] out, String context) {
        if (log.isTraceEnabled()) {
            log.trace("{}: send {}", this, Payloads.preview(out, settings.payloadPreviewBytes()));
        }
        // a heap buffer: allocating from Netty's pooled allocator here would give every application
        // thread its own arena cache
        channel.writeAndFlush(Unpooled.wrappedBuffer(out)).addListener(w -> {
            if (!w.isSuccess()) {
                fail(Failures.classify(w.cause(), context));
            }
        });
    }

    /**
     * Waits for the next frame that answered no request and arrived since the current borrower got
     * the connection. A timeout here only means nothing came (a device that sends spontaneously may
     * simply have had nothing to say): the connection stays usable for this borrower.
     */
    public byte[] receive(long timeoutMs) throws DeviceException {
        try {
            FrameInbox.Entry e = inbox.take(lease, TimeUnit.MILLISECONDS.toNanos(timeoutMs));
            if (e == null) {
                throw new DeviceTimeoutException(device.id(), device.address(), "no frame within " + timeoutMs + " ms");
            }
            if (!correlation.enabled() && e.seq() > owedAfter && owed.get() > 0) {
                // a frame that came after the oldest open send(): taken as its answer, for the rule that
                // request() waits until sends are answered (the link is not reused either way)
                owed.decrementAndGet();
                owedAfter = e.seq();
            }
            return e.frame();
        } catch (FrameInbox.LinkFailedException e) {
            throw lost(e.failure);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DeviceException(device.id(), device.address(), "interrupted while waiting for the device", e);
        }
    }

    /** Waits for the socket to take data; {@code shared}: an interrupt leaves the link to the other requests on it. */
    private void awaitWritable(long timeoutMs, boolean shared) throws DeviceException {
        LinkFailure f = failure.get();
        if (f != null) {
            throw new NotDeliveredException(device.id(), device.address(), "connection lost before the frame was "
                    + "sent: " + f.reason(), f.cause());
        }
        if (channel.isWritable()) {
            return;
        }
        try {
            if (!inbox.awaitReady(channel::isWritable, TimeUnit.MILLISECONDS.toNanos(timeoutMs))) {
                var pending = channel.unsafe().outboundBuffer(); // null once the channel closed
                LinkFailure stuck = new LinkFailure(LinkFailure.Kind.RESPONSE_TIMEOUT,
                        "device accepted no data for " + timeoutMs + " ms (" + (pending == null ? 0
                                : pending.totalPendingWriteBytes()) + " bytes unsent)", null);
                if (!shared || timeoutMs >= settings.requestTimeoutMs()) {
                    fail(stuck); // a caller's shorter wait behind others' large frames says nothing about the link
                }
                throw new DeviceTimeoutException(device.id(), device.address(), stuck.reason());
            }
        } catch (FrameInbox.LinkFailedException e) {
            throw lost(e.failure);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            if (!shared) {
                fail(new LinkFailure(LinkFailure.Kind.ABANDONED, "interrupted while sending", e));
            }
            throw new DeviceException(device.id(), device.address(), "interrupted while sending", e);
        }
    }

    private void checkFrame(byte[] frame) throws DeviceException {
        if (frame == null) {
            throw new DeviceException(device.id(), device.address(), "frame is null");
        }
        var framing = settings.framing();
        if (framing.framing() == Framing.FIXED_LENGTH && frame.length != framing.fixedFrameLength()) {
            throw new DeviceException(device.id(), device.address(), "frame has " + frame.length
                    + " bytes; fixed-length framing needs exactly " + framing.fixedFrameLength());
        }
        if (frame.length > framing.maxFrameLength()) {
            throw new DeviceException(device.id(), device.address(), "frame has " + frame.length
                    + " bytes; maxFrameLength is " + framing.maxFrameLength());
        }
    }

    private ConnectionLostException lost(LinkFailure f) {
        return new ConnectionLostException(device.id(), device.address(), "connection lost: " + f.reason(), f.cause());
    }

    /** Closes the link for a reason; harmless if it already failed. */
    public void close(LinkFailure why) {
        fail(why);
    }

    /** Closes the link and, off the event loop, waits at most {@code timeoutMs} for the socket to be closed. */
    public void closeAndWait(LinkFailure why, long timeoutMs) {
        fail(why);
        if (!channel.eventLoop().inEventLoop()) {
            channel.closeFuture().awaitUninterruptibly(timeoutMs);
        }
    }

    /** Records the first failure, closes the channel and runs the failure listeners on the event loop. */
    void fail(LinkFailure f) {
        if (!failure.compareAndSet(null, f)) {
            return;
        }
        if (f.kind() != LinkFailure.Kind.LOCAL) {
            log.debug("{}: {}", this, f.reason());
        }
        inbox.fail(f);
        channel.close();
        try {
            channel.eventLoop().execute(this::failed);
        } catch (RejectedExecutionException shuttingDown) {
            failed();
        }
    }

    /** Event loop, once: fails the exchanges still waiting, then runs the failure listeners. */
    private void failed() {
        LinkFailure f = failure.get();
        if (partialFrame && !(f.cause() instanceof CodecException)) {
            // the start of a frame that will never end (a frame the decoder refused is counted as such)
            meter.partialFrameDiscarded();
        }
        List<Exchange> open = new ArrayList<>(inFlight.values());
        inFlight.clear();
        if (awaiting != null) {
            open.add(awaiting);
            awaiting = null;
        }
        open.forEach(ex -> ex.answer.completeExceptionally(new FrameInbox.LinkFailedException(f)));
        for (Consumer<LinkFailure> l : failureListeners) {
            if (failureListeners.remove(l)) {
                try {
                    l.accept(f);
                } catch (RuntimeException e) {
                    log.warn("{}: failure listener threw", this, e);
                }
            }
        }
    }

    /** Event loop: a decoded frame that was not a heartbeat's answer. */
    void frameReceived(byte[] frame) {
        if (correlation.enabled()) {
            Exchange ex = correlation.fits(frame) ? inFlight.remove(correlation.read(frame)) : null;
            if (ex != null) {
                // the caller gets its own id back, not the one FieldLink put on the wire
                System.arraycopy(ex.request, correlation.offset(), frame, correlation.offset(), correlation.length());
                if (ex.forReceive) {
                    answers++;
                    owed.decrementAndGet();
                    unanswered(frame, "answering a send()"); // for receive(); no warning: it is expected
                } else {
                    answered(ex, frame);
                }
                return;
            }
            if (retired != null && correlation.fits(frame) && retired.remove(correlation.read(frame))) {
                // the answer to a request its caller gave up on: it belongs to nobody now (and is no
                // evidence that the link serves its callers)
                givenUp.decrementAndGet();
                meter.framesDiscarded(1);
                retiredAnswered.run();
                if (log.isDebugEnabled()) {
                    log.debug("{}: dropped a late answer to a request that timed out", this);
                }
                return;
            }
            meter.unsolicitedFrame();
            unanswered(frame, "matching no open request");
            return;
        }
        Exchange ex = awaiting;
        if (ex != null) {
            awaiting = null;
            answered(ex, frame);
            return;
        }
        if (owed.get() == 0) {
            meter.unsolicitedFrame(); // with answers owed to send() calls, this is one of them, for receive()
        }
        unanswered(frame, "while no request was waiting");
    }

    private void answered(Exchange ex, byte[] frame) {
        answers++;
        lastAnswerNanos = System.nanoTime();
        if (undecoded.getAsInt() > 0) {
            // more bytes came with the answer: a stray frame or the start of one. Said before the
            // caller wakes up, so it never hands the connection on with those bytes in the decoder.
            partialFrame = true;
        }
        ex.answer.complete(frame);
    }

    /** Event loop: a heartbeat got its answer. */
    void heartbeatAnswered() {
        answers++;
    }

    private void unanswered(byte[] frame, String why) {
        long seq = ++framesUnanswered;
        boolean overflow = inbox.offer(lease, seq, frame);
        if (overflow || (!leased && owed.get() == 0)) {
            long held = strayWarnings.permit(System.nanoTime());
            if (held >= 0) {
                log.warn("{}: a frame arrived {} and nobody reads it; {} such frame(s) so far on this connection, "
                        + "{} warning(s) held back", this, why, framesUnanswered, held);
            }
        }
    }

    /** Event loop: how the decoder tells how many bytes it holds that it has not made into frames yet. */
    void undecoded(IntSupplier bytes) {
        this.undecoded = bytes;
    }

    /** Event loop: whether the decoder holds the start of an unfinished frame after the last read. */
    void partialFrame(boolean holdsPartial) {
        this.partialFrame = holdsPartial;
    }

    void writabilityChanged() {
        inbox.signal();
    }

    LinkSettings settings() {
        return settings;
    }

    /** The device's counters, for the pipeline's handlers. */
    DeviceMeter meter() {
        return meter;
    }

    @Override
    public String toString() {
        return "link#" + id + "[" + device + "]";
    }

    /** One request and the answer its caller waits for. */
    private static final class Exchange {
        final byte[] request;
        /** A send(): its answer goes to receive(), nobody waits on {@link #answer}. */
        final boolean forReceive;
        final CompletableFuture<byte[]> answer = new CompletableFuture<>();
        /** Handed to the socket: from then on the device may have it, and it is never sent again. */
        volatile boolean written;
        /** The caller gave up: if not written yet, it never will be. */
        volatile boolean abandoned;
        /** The id on the wire, -1 until written with correlation (event loop). */
        long wire = -1;
        /** When it was handed to the socket (set before {@link #written}). */
        volatile long writtenNanos;

        Exchange(byte[] request, boolean forReceive) {
            this.request = request.clone();
            this.forReceive = forReceive;
        }
    }
}
