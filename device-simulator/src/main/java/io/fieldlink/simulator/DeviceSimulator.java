package io.fieldlink.simulator;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ScheduledFuture;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * A field device on loopback: a real TCP server that speaks a framing and echoes, delays, hangs,
 * closes or resets on command, and misbehaves the way real devices do. Tests pull its cable with an
 * nftables rule on {@link #port()}.
 *
 * <pre>{@code
 * try (DeviceSimulator plc = DeviceSimulator.start(SimFraming.modbusTcp())) {
 *     mcf.setHost("127.0.0.1");
 *     mcf.setPort(plc.port());
 *     plc.behave(Behaviour.HANG);          // stops answering, keeps ACKing
 *     plc.restart();                       // drops every connection, listens again on the same port
 *
 *     plc.behave(Behaviour.ECHO)
 *        .seed(42)                                        // the same "random" faults on every run
 *        .strayFrames(0.05, req -> req)                   // 5 %: a duplicate answer in the same segment
 *        .lateAnswers(0.01, 3_000)                        // 1 %: answered 3 s late, the rest at once
 *        .unsolicited(500, () -> alarmFrame())            // a frame nobody asked for, every 500 ms
 *        .idleCloseMs(60_000)                             // FIN after 60 s without a byte from the client
 *        .clientLimit(4, DeviceSimulator.LimitAction.RESET) // a 5th connection is reset at once
 *        .acceptThenReset(-1)                             // (off) RST every new connection after N ms
 *        .partialAnswers(3, 20);                          // answers trickle out 3 bytes every 20 ms
 *     assertEquals(0, plc.limitRejections());
 *     plc.normal();                                       // every misbehaviour off, echoing again
 * }
 * }</pre>
 *
 * <p>Every switch is off by default, may be flipped from any thread at any time, and applies to the
 * frames and connections that arrive from then on. Each injected fault is counted
 * ({@link #strayFramesSent()}, {@link #lateAnswersSent()}, ...) so a test can tell what its client
 * really had to cope with.
 */
public final class DeviceSimulator implements AutoCloseable {

    /** What the device does with a connection beyond its {@link #clientLimit(int, LimitAction) client limit}. */
    public enum LimitAction {
        /** Accepts it and closes it at once with FIN (the polite Modbus gateway). */
        CLOSE,
        /** Accepts it and resets it at once (RST, SO_LINGER 0). */
        RESET,
        /** Accepts it and never reads or answers: the client's requests go nowhere. */
        REFUSE_SILENTLY
    }

    // Switch parameters that belong together live in one immutable value behind one volatile field,
    // so a frame never sees a probability from one call and a frame function from another.
    private record Stray(double probability, UnaryOperator<byte[]> frame) {
    }

    private record Late(double probability, long ms) {
    }

    private record Partial(int chunkBytes, long gapMs) {
    }

    private record Limit(int n, LimitAction action) {
    }

    private record Unsolicited(long intervalMs, Supplier<byte[]> frame) {
    }

    private final SimFraming framing;
    private final EventLoopGroup group;
    private final Set<Channel> connections = ConcurrentHashMap.newKeySet();
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong frames = new AtomicLong();
    private final AtomicLong strayFramesSent = new AtomicLong();
    private final AtomicLong lateAnswersSent = new AtomicLong();
    private final AtomicLong unsolicitedSent = new AtomicLong();
    private final AtomicLong idleCloses = new AtomicLong();
    private final AtomicLong limitRejections = new AtomicLong();
    private final AtomicLong acceptResets = new AtomicLong();
    /** The most requests one connection had received and not answered yet, at any moment. */
    private final AtomicInteger mostAwaitingAnswer = new AtomicInteger();
    private volatile int batch;
    /** Connections that count against the client limit: every connection except the rejected ones. */
    private final AtomicInteger admitted = new AtomicInteger();
    private final Random random = new Random();
    private final String host;
    private volatile int port;
    private volatile Channel server;
    private volatile Behaviour behaviour = Behaviour.ECHO;
    private volatile long delayMs = 1000;
    private volatile UnaryOperator<byte[]> responder = UnaryOperator.identity();
    private volatile Stray stray;
    private volatile Late late;
    private volatile Partial partial;
    private volatile Limit limit;
    private volatile Unsolicited unsolicited;
    /** Guarded by {@code this}. */
    private ScheduledFuture<?> ticker;
    private volatile long idleCloseMs;
    private volatile long acceptResetMs = -1;

    private DeviceSimulator(SimFraming framing, String host, int port, int threads) {
        this.framing = framing;
        this.host = host;
        this.port = port;
        this.group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("device-sim", true),
                NioIoHandler.newFactory());
    }

    /** Starts a device on 127.0.0.1 with an ephemeral port. */
    public static DeviceSimulator start(SimFraming framing) {
        return start(framing, "127.0.0.1", 0, 1);
    }

    /** Starts a device on the given loopback address and port (0: ephemeral) with {@code threads} event loops. */
    public static DeviceSimulator start(SimFraming framing, String host, int port, int threads) {
        DeviceSimulator sim = new DeviceSimulator(framing, host, port, threads);
        try {
            sim.listen();
        } catch (RuntimeException e) {
            sim.close();
            throw e;
        }
        return sim;
    }

    private void listen() {
        ServerBootstrap b = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        accept(ch);
                    }
                });
        server = b.bind(host, port).syncUninterruptibly().channel();
        port = ((InetSocketAddress) server.localAddress()).getPort();
    }

    private void accept(SocketChannel ch) {
        accepted.incrementAndGet();
        // In the set before any switch is read: a switch flipped concurrently either is seen here or
        // finds this channel when it walks the connections.
        connections.add(ch);
        ch.closeFuture().addListener(f -> connections.remove(ch));
        Limit l = limit;
        if (!admit(l)) {
            limitRejections.incrementAndGet();
            switch (l.action()) {
                case CLOSE -> ch.eventLoop().execute(ch::close);
                case RESET -> ch.eventLoop().execute(() -> reset(ch));
                // No reads at all, not even for EOF: the kernel ACKs and buffers, the application is stuck.
                case REFUSE_SILENTLY -> ch.config().setAutoRead(false);
            }
            return;
        }
        ch.closeFuture().addListener(f -> admitted.decrementAndGet());
        ch.pipeline().addLast(new IdleWatch());
        var decoder = framing.newDecoder();
        if (decoder != null) {
            ch.pipeline().addLast(decoder);
        }
        ch.pipeline().addLast(new Responder());
        long resetAfter = acceptResetMs;
        if (resetAfter == 0) {
            ch.eventLoop().execute(() -> acceptReset(ch));
        } else if (resetAfter > 0) {
            ch.eventLoop().schedule(() -> acceptReset(ch), resetAfter, TimeUnit.MILLISECONDS);
        }
        if (behaviour == Behaviour.DROP_NEW) {
            ch.eventLoop().execute(ch::close);
        }
    }

    private boolean admit(Limit l) {
        while (true) {
            int n = admitted.get();
            if (l != null && n >= l.n()) {
                return false;
            }
            if (admitted.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    private void acceptReset(Channel ch) {
        if (ch.isActive()) {
            acceptResets.incrementAndGet();
            reset(ch);
        }
    }

    public int port() {
        return port;
    }

    public String host() {
        return host;
    }

    /** Sets what the device does with the frames that arrive from now on. */
    public DeviceSimulator behave(Behaviour b) {
        this.behaviour = b;
        return this;
    }

    /** The answer delay for {@link Behaviour#DELAY}. */
    public DeviceSimulator delayMs(long ms) {
        this.delayMs = ms;
        return this;
    }

    /** Computes answers from requests (default: the request itself). */
    public DeviceSimulator respondWith(UnaryOperator<byte[]> responder) {
        this.responder = responder;
        return this;
    }

    /**
     * With this probability an answer is followed by one extra frame, {@code stray.apply(request)},
     * in the same write and flush, so the client finds both in one TCP segment (one read). 0 = off.
     */
    public DeviceSimulator strayFrames(double probability, UnaryOperator<byte[]> stray) {
        checkProbability(probability);
        if (probability > 0) {
            Objects.requireNonNull(stray, "stray");
        }
        this.stray = probability > 0 ? new Stray(probability, stray) : null;
        return this;
    }

    /**
     * With this probability an answer goes out {@code lateMs} after its request instead of when it
     * would have (at once, or after {@link #delayMs(long)} for {@link Behaviour#DELAY}); the
     * requests after it are answered in their own time, so answers overtake each other. 0 = off.
     */
    public DeviceSimulator lateAnswers(double probability, long lateMs) {
        checkProbability(probability);
        if (lateMs < 0) {
            throw new IllegalArgumentException("lateMs must be >= 0: " + lateMs);
        }
        this.late = probability > 0 ? new Late(probability, lateMs) : null;
        return this;
    }

    /**
     * Every {@code intervalMs} (1 and up) sends {@code frame.get()} on every open connection, as
     * devices that push readings or alarms do; {@code intervalMs <= 0} stops it. The supplier is
     * called once per connection per tick on a simulator thread; if it throws, the ticks stop.
     * A connection whose client does not read is skipped while its send buffer is full, as a
     * device with a full socket buffer would, so a fast interval cannot pile frames up in memory.
     */
    public synchronized DeviceSimulator unsolicited(long intervalMs, Supplier<byte[]> frame) {
        if (intervalMs > 0) {
            Objects.requireNonNull(frame, "frame");
        }
        // Cleared before the old ticker is cancelled: the sends it has already handed to an event
        // loop check this field and drop out, so once this returns at most a write already under
        // way can still reach a client.
        unsolicited = null;
        if (ticker != null) {
            ticker.cancel(false);
            ticker = null;
        }
        if (intervalMs > 0) {
            Unsolicited u = new Unsolicited(intervalMs, frame);
            unsolicited = u;
            ticker = group.next().scheduleAtFixedRate(() -> tick(u), intervalMs, intervalMs, TimeUnit.MILLISECONDS);
        }
        return this;
    }

    /**
     * Closes (FIN) every connection on which the device received no byte for {@code ms}
     * milliseconds, like Modbus TCP servers that drop idle clients; the silence is counted from the
     * last byte received, the accept, or this call, whichever is latest. 0 = off.
     */
    public DeviceSimulator idleCloseMs(long ms) {
        if (ms < 0) {
            throw new IllegalArgumentException("idle close must be >= 0 ms: " + ms);
        }
        this.idleCloseMs = ms;
        for (Channel ch : connections) {
            ch.eventLoop().execute(() -> {
                IdleWatch w = ch.pipeline().get(IdleWatch.class);
                if (w != null) {
                    w.restart();
                }
            });
        }
        return this;
    }

    /**
     * At most {@code n} connections open at once (0 = no limit); a connection beyond it is accepted
     * and then treated as {@code action} says. Rejected connections do not count against the limit.
     * Connections already open stay open even if they exceed a newly lowered limit.
     */
    public DeviceSimulator clientLimit(int n, LimitAction action) {
        if (n < 0) {
            throw new IllegalArgumentException("client limit must be >= 0: " + n);
        }
        if (n > 0) {
            Objects.requireNonNull(action, "action");
        }
        this.limit = n > 0 ? new Limit(n, action) : null;
        return this;
    }

    /**
     * Resets (RST) every new connection {@code afterMs} after it is accepted: 0 = in its first event
     * loop turn, before it can answer anything; negative = off. Until then it works normally.
     * Connections open before this call are untouched; "open" means accepted by the simulator, which
     * can lag a moment behind a client's connect() returning.
     */
    public DeviceSimulator acceptThenReset(long afterMs) {
        this.acceptResetMs = afterMs < 0 ? -1 : afterMs;
        return this;
    }

    /**
     * Answers are written in pieces of {@code chunkBytes}, {@code gapMs} apart, like a device behind
     * a slow serial gateway; answers and pushed frames on a connection still go out whole and in
     * order, never interleaved. 0 = off. Wins over {@link #strayFrames}'s single segment: the answer
     * and its stray frame trickle out together.
     */
    public DeviceSimulator partialAnswers(int chunkBytes, long gapMs) {
        if (chunkBytes < 0 || gapMs < 0) {
            throw new IllegalArgumentException("chunk bytes and gap must be >= 0: " + chunkBytes + ", " + gapMs);
        }
        this.partial = chunkBytes > 0 ? new Partial(chunkBytes, gapMs) : null;
        return this;
    }

    /**
     * Seeds the random draws of {@link #strayFrames} and {@link #lateAnswers}: the same requests in
     * the same order meet the same faults. Across several connections the order of draws follows
     * the order their frames arrive in, which only one client driving them in turn can fix.
     */
    public DeviceSimulator seed(long seed) {
        synchronized (random) {
            random.setSeed(seed);
        }
        return this;
    }

    /**
     * Holds the requests of a connection until {@code n} of them arrived, then answers them all,
     * newest first (a gateway that collects requests for its slow devices and answers them as they
     * come back, out of order). A client that sends one request at a time gets no answer from it
     * (its requests time out); one that pipelines at least {@code n} gets them all, and must match
     * them by id. 0 or 1 = off: what the connections hold is answered at once.
     */
    public DeviceSimulator answerInBatches(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("n must be >= 0: " + n);
        }
        this.batch = n;
        if (n <= 1) {
            // off: what the connections hold is answered now, not when their next request comes
            for (Channel ch : connections) {
                ch.eventLoop().execute(() -> {
                    Responder r = ch.pipeline().get(Responder.class);
                    if (r != null) {
                        r.answerHeld();
                    }
                });
            }
        }
        return this;
    }

    /** The most requests one connection had waiting for their answers at the same moment: what a client pipelined. */
    public int mostAwaitingAnswer() {
        return mostAwaitingAnswer.get();
    }

    /** Every misbehaviour off: echoing, no stray, late, partial or unsolicited frames, no limits or resets. */
    public DeviceSimulator normal() {
        behave(Behaviour.ECHO);
        strayFrames(0, null);
        lateAnswers(0, 0);
        unsolicited(0, null);
        idleCloseMs(0);
        clientLimit(0, null);
        acceptThenReset(-1);
        partialAnswers(0, 0);
        answerInBatches(0);
        return this;
    }

    private static void checkProbability(double p) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("probability must be within [0, 1]: " + p);
        }
    }

    private boolean chance(double p) {
        if (p >= 1) {
            return true;
        }
        synchronized (random) {
            return random.nextDouble() < p;
        }
    }

    /** Sends a frame nobody asked for on every open connection (e.g. a spontaneous reading). */
    public void pushToAll(byte[] frame) {
        for (Channel ch : connections) {
            // looked up on the channel's event loop: a connection is in the set before its handlers
            // are (both happen there), so a push right after a connect still reaches it
            ch.eventLoop().execute(() -> {
                Responder r = ch.pipeline().get(Responder.class);
                if (r != null) {
                    r.send(framed(frame), null, null);
                }
            });
        }
    }

    private void tick(Unsolicited u) {
        for (Channel ch : connections) {
            if (unsolicited != u) {
                return;
            }
            Responder r = ch.pipeline().get(Responder.class);
            if (r == null || !ch.isActive() || !ch.isWritable()) {
                continue;
            }
            byte[] f = u.frame().get();
            ch.eventLoop().execute(() -> {
                if (unsolicited == u) {
                    r.send(framed(f), null, unsolicitedSent);
                }
            });
        }
    }

    public Behaviour behaviour() {
        return behaviour;
    }

    /** Whether the device accepts connections (not {@link #stop() stopped}). */
    public boolean isListening() {
        return server != null;
    }

    /** Connections accepted since start, including those rejected by the client limit. */
    public long connectionsAccepted() {
        return accepted.get();
    }

    /**
     * Connections open right now, including those held by {@link LimitAction#REFUSE_SILENTLY}
     * (which stay open, unread, until {@link #closeAll()}, {@link #resetAll()} or {@link #stop()}).
     */
    public int openConnections() {
        return connections.size();
    }

    /** Frames received since start. */
    public long framesReceived() {
        return frames.get();
    }

    /** Stray frames appended to answers since start. */
    public long strayFramesSent() {
        return strayFramesSent.get();
    }

    /** Answers sent late since start. */
    public long lateAnswersSent() {
        return lateAnswersSent.get();
    }

    /** Unsolicited frames sent since start (one per connection per tick); not {@link #pushToAll} frames. */
    public long unsolicitedSent() {
        return unsolicitedSent.get();
    }

    /** Connections closed for being idle since start. */
    public long idleCloses() {
        return idleCloses.get();
    }

    /** Connections rejected by the client limit since start. */
    public long limitRejections() {
        return limitRejections.get();
    }

    /** Connections reset by {@link #acceptThenReset(long)} since start. */
    public long acceptResets() {
        return acceptResets.get();
    }

    /** The switches that are on, by control-port name, with their settings; empty when behaving. */
    Map<String, String> activeSwitches() {
        Map<String, String> on = new LinkedHashMap<>();
        Stray s = stray;
        if (s != null) {
            on.put("stray", "p=" + s.probability());
        }
        Late l = late;
        if (l != null) {
            on.put("late", "p=" + l.probability() + " ms=" + l.ms());
        }
        Unsolicited u = unsolicited;
        if (u != null) {
            on.put("unsolicited", "ms=" + u.intervalMs());
        }
        long idle = idleCloseMs;
        if (idle > 0) {
            on.put("idle-close", "ms=" + idle);
        }
        Limit lim = limit;
        if (lim != null) {
            on.put("client-limit", "n=" + lim.n() + " action=" + lim.action());
        }
        long reset = acceptResetMs;
        if (reset >= 0) {
            on.put("accept-reset", "ms=" + reset);
        }
        Partial p = partial;
        if (p != null) {
            on.put("partial", "bytes=" + p.chunkBytes() + " gapMs=" + p.gapMs());
        }
        return on;
    }

    /** Closes every open connection with FIN; keeps listening. */
    public void closeAll() {
        connections.forEach(Channel::close);
    }

    /** Resets every open connection (RST); keeps listening. */
    public void resetAll() {
        connections.forEach(DeviceSimulator::reset);
    }

    /** Stops listening and closes every connection: the device is switched off (refuses connects). */
    public void stop() {
        Channel s = server;
        if (s != null) {
            s.close().syncUninterruptibly();
            server = null;
        }
        connections.forEach(ch -> ch.close().syncUninterruptibly());
    }

    /** Switches the device back on, on the same port. */
    public void startAgain() {
        if (server == null) {
            listen();
        }
    }

    /** A device reboot: every connection dropped, listening again on the same port. */
    public void restart() {
        stop();
        startAgain();
    }

    @Override
    public void close() {
        stop();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    private ByteBuf framed(byte[] frame) {
        return Unpooled.wrappedBuffer(frame, framing.trailer());
    }

    private static void reset(Channel ch) {
        ch.config().setOption(ChannelOption.SO_LINGER, 0);
        ch.close();
    }

    /** Times the silence on a connection; first in the pipeline, so partial frames count as traffic. */
    private final class IdleWatch extends ChannelInboundHandlerAdapter {
        private ChannelHandlerContext ctx;
        private long quietSince;
        private ScheduledFuture<?> check;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
            restart();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            quietSince = System.nanoTime();
            if (check == null && idleCloseMs > 0) {
                schedule(idleCloseMs, TimeUnit.MILLISECONDS);
            }
            ctx.fireChannelRead(msg);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            cancel();
            ctx.fireChannelInactive();
        }

        /** The switch changed (or the connection is new): silence counts from now. */
        void restart() {
            quietSince = System.nanoTime();
            cancel();
            long ms = idleCloseMs;
            if (ms > 0) {
                schedule(ms, TimeUnit.MILLISECONDS);
            }
        }

        private void cancel() {
            if (check != null) {
                check.cancel(false);
                check = null;
            }
        }

        private void schedule(long delay, TimeUnit unit) {
            check = ctx.executor().schedule(this::due, delay, unit);
        }

        private void due() {
            check = null;
            long ms = idleCloseMs;
            if (ms <= 0 || !ctx.channel().isActive()) {
                return;
            }
            long left = quietSince + TimeUnit.MILLISECONDS.toNanos(ms) - System.nanoTime();
            if (left > 0) {
                schedule(left, TimeUnit.NANOSECONDS);
            } else {
                idleCloses.incrementAndGet();
                ctx.close();
            }
        }
    }

    /** One pending write of a connection; {@code partial} null: whole, at once. */
    private record Pending(ByteBuf buf, Partial partial, AtomicLong counter) {
    }

    private final class Responder extends ChannelInboundHandlerAdapter {
        private ChannelHandlerContext ctx;
        /** Writes waiting behind a partial answer that is still trickling out (event loop only). */
        private final ArrayDeque<Pending> queue = new ArrayDeque<>();
        private boolean trickling;
        /** Requests held for {@link #answerInBatches(int)} (event loop only). */
        private final ArrayDeque<byte[]> held = new ArrayDeque<>();
        /** Requests received and not answered yet (event loop only). */
        private int awaiting;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            byte[] request;
            try {
                ByteBuf buf = (ByteBuf) msg;
                request = new byte[buf.readableBytes()];
                buf.readBytes(request);
            } finally {
                ReferenceCountUtil.release(msg);
            }
            frames.incrementAndGet();
            Behaviour b = behaviour;
            if (b == Behaviour.ECHO || b == Behaviour.DELAY) {
                mostAwaitingAnswer.accumulateAndGet(++awaiting, Math::max);
                int n = batch;
                if (n > 1 || !held.isEmpty()) {
                    held.push(request);
                    if (held.size() >= n) {
                        while (!held.isEmpty()) {
                            answer(held.pop(), b == Behaviour.DELAY ? delayMs : 0); // newest first
                        }
                    }
                    return;
                }
            }
            switch (b) {
                case ECHO -> answer(request, 0);
                case DELAY -> answer(request, delayMs);
                case HANG -> { }
                case CLOSE, DROP_NEW -> ctx.close();
                case RESET -> reset(ctx.channel());
            }
        }

        /** Answers the requests held for a batch, newest first (event loop). */
        void answerHeld() {
            while (!held.isEmpty()) {
                answer(held.pop(), behaviour == Behaviour.DELAY ? delayMs : 0);
            }
        }

        private void answer(byte[] request, long afterMs) {
            Late l = late;
            boolean isLate = l != null && chance(l.probability());
            long wait = isLate ? l.ms() : afterMs;
            if (wait <= 0 && !isLate) {
                sendAnswer(request, false);
            } else {
                ctx.executor().schedule(() -> sendAnswer(request, isLate), wait, TimeUnit.MILLISECONDS);
            }
        }

        private void sendAnswer(byte[] request, boolean isLate) {
            awaiting--;
            if (!ctx.channel().isActive()) {
                return;
            }
            byte[] answer = responder.apply(request);
            Stray s = stray;
            ByteBuf out;
            if (s != null && chance(s.probability())) {
                byte[] trailer = framing.trailer();
                // One buffer, one write, one flush: the stray frame rides in the answer's segment.
                out = Unpooled.wrappedBuffer(answer, trailer, s.frame().apply(request), trailer);
                strayFramesSent.incrementAndGet();
            } else {
                out = framed(answer);
            }
            send(out, partial, isLate ? lateAnswersSent : null);
        }

        /** Writes in order behind anything still trickling out; counts it if it is written. Event loop only. */
        void send(ByteBuf out, Partial p, AtomicLong counter) {
            if (!ctx.channel().isActive()) {
                out.release();
                return;
            }
            if (p == null && queue.isEmpty()) {
                count(counter);
                ctx.writeAndFlush(out);
                return;
            }
            queue.add(new Pending(out, p, counter));
            if (!trickling) {
                pump();
            }
        }

        private void count(AtomicLong counter) {
            if (counter != null) {
                counter.incrementAndGet();
            }
        }

        private void pump() {
            trickling = false;
            while (!queue.isEmpty()) {
                if (!ctx.channel().isActive()) {
                    drain();
                    return;
                }
                Pending head = queue.peek();
                if (head.partial() == null) {
                    queue.poll();
                    count(head.counter());
                    ctx.write(head.buf());
                    continue;
                }
                ByteBuf b = head.buf();
                if (b.readerIndex() == 0) {
                    count(head.counter());
                }
                ctx.write(b.readRetainedSlice(Math.min(head.partial().chunkBytes(), b.readableBytes())));
                if (!b.isReadable()) {
                    queue.poll();
                    b.release();
                }
                if (!queue.isEmpty()) {
                    trickling = true;
                    ctx.flush();
                    ctx.executor().schedule(this::pump, head.partial().gapMs(), TimeUnit.MILLISECONDS);
                    return;
                }
            }
            ctx.flush();
        }

        private void drain() {
            Pending p;
            while ((p = queue.poll()) != null) {
                p.buf().release();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            drain();
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    @Override
    public String toString() {
        Map<String, String> on = activeSwitches();
        return "DeviceSimulator[" + framing + " on " + host + ":" + port + ", " + behaviour
                + (on.isEmpty() ? "" : ", " + on) + "]";
    }

}
