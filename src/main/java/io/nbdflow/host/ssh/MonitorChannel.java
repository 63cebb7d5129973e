package io.nbdflow.host.ssh;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ByteChannel;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayDeque;
import java.util.Deque;

import com.jcraft.jsch.Channel;

/**
 * A byte stream over one SSH channel (a forwarded UNIX socket of the host). What the host sends
 * is handed over by JSch's session thread into a queue of our own, never into a fixed pipe: the
 * reader gets each chunk as soon as it arrives (a QMP greeting is read at once), the session
 * thread never waits for the reader, and closing the channel wakes a read blocked on it. Each
 * write is flushed, so a command leaves at once.
 */
final class MonitorChannel implements ByteChannel {

    private final Channel channel;
    private final Object lock = new Object();
    private final Object writeLock = new Object();
    private final Deque<byte[]> received = new ArrayDeque<>();
    private int offsetInFirst;
    private boolean endOfStream;
    private volatile boolean closed;
    private OutputStream toHost;
    private final Runnable onClose;

    MonitorChannel(Channel channel, Runnable onClose) {
        this.channel = channel;
        this.onClose = onClose;
        channel.setOutputStream(new Receiver());
    }

    /** Called once the channel is open: from then on writes go to the host. */
    void opened() throws IOException {
        toHost = channel.getOutputStream();
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        synchronized (lock) {
            while (received.isEmpty() && !endOfStream && !closed) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while reading from the host");
                }
            }
            if (closed) {
                throw new AsynchronousCloseException();
            }
            if (received.isEmpty()) {
                return -1;
            }
            int count = 0;
            while (dst.hasRemaining() && !received.isEmpty()) {
                byte[] first = received.peekFirst();
                int n = Math.min(dst.remaining(), first.length - offsetInFirst);
                dst.put(first, offsetInFirst, n);
                offsetInFirst += n;
                count += n;
                if (offsetInFirst == first.length) {
                    received.removeFirst();
                    offsetInFirst = 0;
                }
            }
            return count;
        }
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        if (closed) {
            throw new ClosedChannelException();
        }
        byte[] bytes = new byte[src.remaining()];
        src.get(bytes);
        synchronized (writeLock) {
            toHost.write(bytes);
            toHost.flush();
        }
        return bytes.length;
    }

    @Override
    public boolean isOpen() {
        return !closed;
    }

    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            lock.notifyAll();
        }
        try {
            channel.disconnect();
        } finally {
            onClose.run();
        }
    }

    /** Where JSch's session thread puts what the host sends; its close marks the end of the stream. */
    private final class Receiver extends OutputStream {
        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            if (len == 0) {
                return;
            }
            byte[] copy = new byte[len];
            System.arraycopy(b, off, copy, 0, len);
            synchronized (lock) {
                received.addLast(copy);
                lock.notifyAll();
            }
        }

        @Override
        public void close() {
            synchronized (lock) {
                endOfStream = true;
                lock.notifyAll();
            }
        }
    }
}
