package io.fieldlink.transport;

import io.fieldlink.api.ConnectionLostException;
import io.fieldlink.api.DeviceException;
import io.fieldlink.api.DeviceTimeoutException;
import io.fieldlink.config.DeviceAddress;
import io.fieldlink.config.Framing;
import io.fieldlink.config.LinkSettings;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * One open TCP connection to one device: a Netty channel with the pool's framing, plus the blocking
 * request / send / receive that application threads call.
 *
 * <p>Threads: the channel's event loop fills the inbox and detects failures; one application thread
 * at a time calls {@link #request}, {@link #send} or {@link #receive}. A link fails once: the first
 * {@link LinkFailure} wins, the channel closes, waiting callers get a {@link ConnectionLostException}
 * and every failure listener runs exactly once on the event loop.
 *
 * <pre>{@code
 * transport.connect(device, settings).thenAccept(link -> {
 *     link.onFailure(f -> health.linkFailed(link, f));   // runs once, on the event loop
 * });
 * byte[] reply = link.request(frame, 2_000);               // application thread
 * link.close(LinkFailure.local("pool shrink"));
 * }</pre>
 */
public final class DeviceLink {

    private static final Logger log = LoggerFactory.getLogger(DeviceLink.class);
    private static final AtomicLong IDS = new AtomicLong();
    /** Unread frames kept per connection; older ones are dropped (see {@link FrameInbox}). */
    static final int INBOX_CAPACITY = 64;
    private static final byte[] NO_BYTES = new byte[0];

    private final long id = IDS.incrementAndGet();
    private final DeviceAddress device;
    private final Channel channel;
    private final LinkSettings settings;
    private final FrameInbox inbox = new FrameInbox(INBOX_CAPACITY);
    private final AtomicReference<LinkFailure> failure = new AtomicReference<>();
    private final List<Consumer<LinkFailure>> failureListeners = new CopyOnWriteArrayList<>();
    private volatile boolean leased;

    DeviceLink(DeviceAddress device, Channel channel, LinkSettings settings) {
        this.device = device;
        this.channel = channel;
        this.settings = settings;
    }

    public DeviceAddress device() {
        return device;
    }

    /** True until the link failed or was closed. */
    public boolean isUsable() {
        return failure.get() == null && channel.isActive();
    }

    /** Why the link stopped, or {@code null} while it works. */
    public LinkFailure failure() {
        return failure.get();
    }

    /** Marks the link as used by an application (heartbeats only run on links nobody uses). */
    public void lease(boolean inUse) {
        this.leased = inUse;
    }

    boolean leased() {
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

    /** Sends one frame and returns the first frame that arrives after it. */
    public byte[] request(byte[] frame, long timeoutMs) throws DeviceException {
        int stale = inbox.clear();
        if (stale > 0 && log.isDebugEnabled()) {
            log.debug("{}: discarded {} unread frame(s) before a request", this, stale);
        }
        long start = System.nanoTime();
        send(frame, timeoutMs);
        long left = TimeUnit.MILLISECONDS.toNanos(timeoutMs) - (System.nanoTime() - start);
        return receive(Math.max(0, left), timeoutMs, true);
    }

    /** Sends one frame; waits at most the request timeout for the device to accept data. */
    public void send(byte[] frame) throws DeviceException {
        send(frame, settings.requestTimeoutMs());
    }

    private void send(byte[] frame, long timeoutMs) throws DeviceException {
        checkFrame(frame);
        awaitWritable(timeoutMs);
        // Copied (the caller may reuse its array) into a heap buffer: allocating from Netty's pooled
        // allocator here would give every application thread its own arena cache.
        byte[] delimiter = settings.framing().appendsDelimiter() ? settings.framing().delimiter() : NO_BYTES;
        byte[] out = Arrays.copyOf(frame, frame.length + delimiter.length);
        System.arraycopy(delimiter, 0, out, frame.length, delimiter.length);
        ByteBuf buf = Unpooled.wrappedBuffer(out);
        if (log.isTraceEnabled()) {
            log.trace("{}: send {}", this, Payloads.preview(frame, settings.payloadPreviewBytes()));
        }
        channel.writeAndFlush(buf).addListener(w -> {
            if (!w.isSuccess()) {
                fail(Failures.classify(w.cause(), "write failed"));
            }
        });
    }

    /**
     * Waits for the next frame from the device. A timeout here only means nothing came (a device
     * that sends spontaneously may simply have had nothing to say): the connection stays usable.
     */
    public byte[] receive(long timeoutMs) throws DeviceException {
        return receive(TimeUnit.MILLISECONDS.toNanos(timeoutMs), timeoutMs, false);
    }

    private byte[] receive(long timeoutNanos, long timeoutMs, boolean answerToRequest) throws DeviceException {
        try {
            byte[] frame = inbox.take(timeoutNanos);
            if (frame == null) {
                if (!answerToRequest) {
                    throw new DeviceTimeoutException(device.id(), device.address(),
                            "no frame within " + timeoutMs + " ms");
                }
                LinkFailure timeout = new LinkFailure(LinkFailure.Kind.RESPONSE_TIMEOUT,
                        "no answer within " + timeoutMs + " ms", null);
                // A late answer could be mistaken for the next request's: this connection is done.
                fail(timeout);
                throw new DeviceTimeoutException(device.id(), device.address(), timeout.reason());
            }
            return frame;
        } catch (FrameInbox.LinkFailedException e) {
            throw lost(e.failure);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            // the exchange is half done: the pool must drop this connection, the device is not at fault
            fail(new LinkFailure(LinkFailure.Kind.ABANDONED, "interrupted while waiting for the device", e));
            throw new DeviceException(device.id(), device.address(), "interrupted while waiting for the device", e);
        }
    }

    private void awaitWritable(long timeoutMs) throws DeviceException {
        LinkFailure f = failure.get();
        if (f != null) {
            throw lost(f);
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
                fail(stuck);
                throw new DeviceTimeoutException(device.id(), device.address(), stuck.reason());
            }
        } catch (FrameInbox.LinkFailedException e) {
            throw lost(e.failure);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
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

    /** Drops frames nobody read, so the next user of a pooled connection never gets the last user's answer. */
    public void discardUnread() {
        inbox.clear();
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
            channel.eventLoop().execute(this::notifyListeners);
        } catch (RejectedExecutionException shuttingDown) {
            notifyListeners();
        }
    }

    private void notifyListeners() {
        LinkFailure f = failure.get();
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

    void frameReceived(byte[] frame) {
        if (inbox.offer(frame)) {
            long dropped = inbox.dropped();
            if (dropped == 1 || dropped % 1000 == 0) {
                log.warn("{}: {} unread frame(s) dropped; the device sends frames nobody reads", this, dropped);
            }
        }
    }

    void writabilityChanged() {
        inbox.signal();
    }

    LinkSettings settings() {
        return settings;
    }

    @Override
    public String toString() {
        return "link#" + id + "[" + device + "]";
    }
}
